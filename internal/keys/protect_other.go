//go:build !linux

package keys

func protect() {}
