package store

import "errors"

// Errors of the store.
var (
	// ErrClosed: the store was closed; reads fail and writes are dropped.
	ErrClosed = errors.New("store: closed")
	// ErrQuery: a query's parameters are out of range (a negative page, a
	// window that ends before it starts). The REST edge validates first,
	// so this is a programming error there.
	ErrQuery = errors.New("store: invalid query")
)
