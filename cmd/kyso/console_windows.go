package main

import "golang.org/x/sys/windows"

// setupConsole switches the console's code pages to UTF-8 (65001) for the
// run, so that Vietnamese text kyso writes reaches programs reading its
// output through a pipe (findstr, more, a script) as the UTF-8 it is. What
// kyso writes to the console window itself is shown right in any code page
// (Go writes to a console in UTF-16). The returned function puts the old
// code pages back, so the console is left as kyso found it.
func setupConsole() (restore func()) {
	out, err1 := windows.GetConsoleOutputCP()
	in, err2 := windows.GetConsoleCP()
	if err1 != nil || err2 != nil || out == 0 {
		return func() {} // no console: output goes to a file or a pipe
	}
	_ = windows.SetConsoleOutputCP(65001)
	_ = windows.SetConsoleCP(65001)
	return func() {
		_ = windows.SetConsoleOutputCP(out)
		_ = windows.SetConsoleCP(in)
	}
}
