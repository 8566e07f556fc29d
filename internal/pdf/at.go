package pdf

// IndirectAt parses the indirect object "N G obj" whose header is at off,
// whether or not a cross-reference lists it there, as a reader that
// rebuilds the cross-reference by scanning the file would. A stream's
// /Length is taken only when direct (else its data ends at "endstream").
func (r *Reader) IndirectAt(off int64) (num uint32, gen uint16, o Object, err error) {
	num, o, gen, err = r.parseIndirect(off, true, nil)
	return num, gen, o, err
}
