package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rtcengine/rtcengine/internal/tc3"
)

// apiCmd signs and sends one REST API 3.0 call and prints the response.
func apiCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: rtcengine api ACTION --json '{...}' [--server URL] [--secret-id ID] [--secret-key KEY]")
		return 2
	}
	action, args := args[0], args[1:]
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	body := fs.String("json", "{}", "request body (JSON object)")
	server := fs.String("server", envOr("RTCENGINE_SERVER", "http://127.0.0.1:7880"), "server base URL (env RTCENGINE_SERVER)")
	secretID := fs.String("secret-id", os.Getenv("RTCENGINE_API_SECRET_ID"), "API SecretId (env RTCENGINE_API_SECRET_ID)")
	secretKey := fs.String("secret-key", os.Getenv("RTCENGINE_API_SECRET_KEY"), "API SecretKey (env RTCENGINE_API_SECRET_KEY)")
	version := fs.String("version", "2019-07-22", "X-TC-Version")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !json.Valid([]byte(*body)) {
		fmt.Fprintln(stderr, "rtcengine api: --json is not valid JSON")
		return 2
	}
	if *secretID == "" || *secretKey == "" {
		fmt.Fprintln(stderr, "rtcengine api: --secret-id and --secret-key (or RTCENGINE_API_SECRET_ID/KEY) are required; the server prints them at start in development mode")
		return 2
	}
	url := strings.TrimRight(*server, "/") + "/"
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(*body)))
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine api: %v\n", err)
		return 2
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", *version)
	tc3.Sign(req, []byte(*body), tc3.Credential{SecretID: *secretID, SecretKey: *secretKey}, "trtc", time.Now())
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "rtcengine api: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = pretty.Bytes()
	}
	fmt.Fprintln(stdout, string(out))
	var env struct {
		Response struct {
			Error *struct{ Code string } `json:"Error"`
		} `json:"Response"`
	}
	if json.Unmarshal(out, &env) != nil || env.Response.Error != nil {
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
