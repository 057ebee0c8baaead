//go:build !unix

package main

// keepSysmonAwake does nothing where there is no exec (sysmon.go).
func keepSysmonAwake() {}
