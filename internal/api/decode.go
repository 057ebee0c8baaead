package api

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"

	"github.com/rtcengine/rtcengine/internal/trtc"
)

// Validator is implemented by action parameters that check themselves after
// decoding: missing fields first, then values, as TencentCloud reports them.
// Validate returns an *Error.
type Validator interface {
	Validate() error
}

// AppScoped is implemented by action parameters that name an application;
// Typed authorizes the caller for it after Validate.
type AppScoped interface {
	App() trtc.SDKAppID
}

// Typed adapts a function of decoded parameters to an ActionFunc. P is a
// struct whose exported fields are the action's JSON fields (pointers, so
// that missing and zero differ). The body is decoded strictly (see the
// package comment); then P's Validate runs if it has one, then
// Call.Authorize for P's App if it is AppScoped, then fn.
//
// Typed panics if P is not a struct, when the action is built.
func Typed[P any](fn func(ctx context.Context, call *Call, params *P) (any, error)) ActionFunc {
	fields := jsonFields(reflect.TypeFor[P]())
	return func(ctx context.Context, call *Call) (any, error) {
		p := new(P)
		if err := decodeStrict(call.Body, p, fields); err != nil {
			return nil, err
		}
		if v, ok := any(p).(Validator); ok {
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
		if s, ok := any(p).(AppScoped); ok {
			if err := call.Authorize(s.App()); err != nil {
				return nil, err
			}
		}
		return fn(ctx, call, p)
	}
}

// jsonFields returns the JSON names of t's exported fields.
func jsonFields(t reflect.Type) map[string]bool {
	if t.Kind() != reflect.Struct {
		panic("api: Typed parameters must be a struct, not " + t.String())
	}
	names := make(map[string]bool)
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// decodeStrict decodes a JSON object into dst, rejecting syntax errors,
// non-objects and wrong types (InvalidParameter.BodyParamsError) and keys
// that are not exactly one of fields (UnknownParameter). encoding/json alone
// would match keys case-insensitively and ignore unknown ones.
func decodeStrict(body []byte, dst any, fields map[string]bool) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || len(body) == 0 {
			return Errorf(CodeBodyParamsError, "The request body is not valid JSON.")
		}
		return Errorf(CodeBodyParamsError, "The request body must be a JSON object.")
	}
	var unknown []string
	for k := range obj {
		if !fields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return Errorf(CodeUnknownParameter, "The parameter %q is not recognized by this action.", clip(unknown[0]))
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		var ae *Error // from a nested object's strict UnmarshalJSON
		if errors.As(err, &ae) {
			return ae
		}
		if errors.As(err, &te) {
			return Errorf(CodeBodyParamsError, "The parameter `%s` must be %s, not a JSON %s.", te.Field, describe(te.Type), te.Value)
		}
		return Errorf(CodeBodyParamsError, "The request body could not be decoded.")
	}
	return nil
}

// describe names a Go type in the terms of the API documentation.
func describe(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describe(t.Elem()), "a "), "an ") + "s"
	}
	return "an object"
}
