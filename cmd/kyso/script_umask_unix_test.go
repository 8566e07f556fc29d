//go:build unix

package main

import "syscall"

func setUmask(m int) (int, bool) { return syscall.Umask(m), true }
