package fileutil

// FileID names a file itself, not one of its paths: two hard links to one
// file have the same FileID (the device and inode, or on Windows the volume
// and file index).
type FileID struct {
	Dev, Ino uint64
}

// ID returns the identity of the opened file.
func (f *File) ID() (FileID, error) { return fileID(f.File) }
