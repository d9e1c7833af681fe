//go:build !linux

package main

// handOver is Linux's early hand-over to a running instance; elsewhere
// Wails' SingleInstanceLock does it all (a named mutex on Windows, a
// distributed notification on macOS).
func handOver(string) bool { return false }
