//go:build !windows

package main

// setupConsole has nothing to do outside Windows: terminals take the
// UTF-8 kyso writes as it is.
func setupConsole() (restore func()) { return func() {} }
