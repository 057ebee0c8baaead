// Command rtcengine is the rtcengine server and its tools:
//
//	rtcengine [serve] [flags]          run a node (no arguments: development mode)
//	rtcengine usersig --sdkappid N --key KEY --user ID [--expire 86400]
//	rtcengine api ACTION --json '{…}'  sign and send a REST API 3.0 call
//	rtcengine cluster status --redis ADDR  nodes, load and rooms of a cluster
//	rtcengine bench join|fanout|conference|messages  load tests
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(realMain(os.Args[1:]))
}

// realMain is the process's own entry (the tests' re-executed binary
// too): a server may first re-execute itself (sysmon.go).
func realMain(args []string) int {
	if command(args) == "serve" {
		keepSysmonAwake()
	}
	return run(args, os.Stdout, os.Stderr)
}

// command returns the subcommand that args name ("serve" if none).
func command(args []string) string {
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		return args[0]
	}
	return "serve"
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := command(args)
	if len(args) > 0 && args[0] == cmd {
		args = args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "usersig":
		return usersigCmd(args, stdout, stderr)
	case "api":
		return apiCmd(args, stdout, stderr)
	case "bench":
		return benchCmd(args, stdout, stderr)
	case "cluster":
		return clusterCmd(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "rtcengine: unknown command %q\n\n%s", cmd, usage)
	return 2
}

const usage = `usage:
  rtcengine [serve] [flags]            run a node; with no flags, a development server on 127.0.0.1:7880
  rtcengine usersig --sdkappid N --key KEY --user ID [--expire 86400]
  rtcengine api ACTION --json '{...}' [--server URL] [--secret-id ID] [--secret-key KEY]
  rtcengine cluster status --redis ADDR [--cluster-secret S] [--json]   nodes, load and rooms of a cluster
  rtcengine bench join [--users 500] [--rooms 50] [--concurrency 10] [--server URL] [--json]
  rtcengine bench fanout --subscribers N --duration 30s [--ramp] [--server URL] [--json]
  rtcengine bench conference --anchors 8 [--duration 30s] [--server URL] [--json]
  rtcengine bench soak [--users 50] [--rooms 10] [--duration 30m] [--stay 30s] [--server URL] [--json]

Run "rtcengine COMMAND --help" for a command's flags.
`
