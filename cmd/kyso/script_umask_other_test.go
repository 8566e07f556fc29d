//go:build !unix

package main

func setUmask(int) (int, bool) { return 0, false }
