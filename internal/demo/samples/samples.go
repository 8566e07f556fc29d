// Package samples writes realistic scanned-result PDFs for the demo, the
// tests and the benchmarks: each page is one greyscale image at a given
// resolution, with the text of a TTHC result rendered into it, the way a
// scanner's output looks.
package samples

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"io"
	"math/rand"
	"sync"

	"github.com/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Doc describes one sample result.
type Doc struct {
	Title string   // e.g. "GIẤY KHAI SINH"
	Lines []string // body text
	Pages int      // default 1
	DPI   int      // default 200
	Seed  int64    // noise seed
	// JPEG, when above 0, stores pages as DCTDecode images of that quality,
	// as scanner software does; else as Flate-compressed grey.
	JPEG int
	// Noise is the scanner noise amplitude (grey levels; default 14).
	Noise int
}

var (
	fontOnce sync.Once
	fontErr  error
	parsed   *opentype.Font
)

func face(size float64, dpi int) (font.Face, error) {
	fontOnce.Do(func() { parsed, fontErr = opentype.Parse(liberationserifregular.TTF) })
	if fontErr != nil {
		return nil, fontErr
	}
	return opentype.NewFace(parsed, &opentype.FaceOptions{Size: size, DPI: float64(dpi), Hinting: font.HintingNone})
}

// page renders one A4 page as a greyscale scan.
func page(d Doc, n int) (*image.Gray, error) {
	dpi := d.DPI
	w, h := (595*dpi+36)/72, (842*dpi+36)/72 // A4: 595 x 842 pt
	img := image.NewGray(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewSource(d.Seed*1000 + int64(n)))
	// Paper: light grey with scanner noise.
	noise := d.Noise
	if noise <= 0 {
		noise = 14
	}
	for i := range img.Pix {
		img.Pix[i] = uint8(250 - noise + rnd.Intn(noise))
	}
	ink := image.NewUniform(color.Gray{Y: 40})
	draw1 := func(text string, size float64, x, y int, center bool) error {
		f, err := face(size, dpi)
		if err != nil {
			return err
		}
		dr := &font.Drawer{Dst: img, Src: ink, Face: f}
		if center {
			x = (w - dr.MeasureString(text).Round()) / 2
		}
		dr.Dot = fixed.P(x, y)
		dr.DrawString(text)
		return nil
	}
	mm := func(v float64) int { return int(v / 25.4 * float64(dpi)) }
	// The top-right corner stays blank for the signature stamp.
	if err := draw1("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, 0, mm(45), true); err != nil {
		return nil, err
	}
	draw1("Độc lập - Tự do - Hạnh phúc", 13, 0, mm(52), true)
	draw1(d.Title, 16, 0, mm(70), true)
	y := mm(85)
	for _, l := range d.Lines {
		draw1(l, 12, mm(25), y, false)
		y += mm(8)
	}
	draw1(fmt.Sprintf("Trang %d/%d", n+1, max(d.Pages, 1)), 10, 0, h-mm(12), true)
	return img, nil
}

// Write writes the document as a PDF 1.7 file of image-only pages.
func Write(w io.Writer, d Doc) error {
	if d.DPI == 0 {
		d.DPI = 200
	}
	if d.Pages == 0 {
		d.Pages = 1
	}
	var buf bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s", len(offsets), body)
		if stream != nil {
			buf.WriteString("\nstream\n")
			buf.Write(stream)
			buf.WriteString("\nendstream")
		}
		buf.WriteString("\nendobj\n")
	}
	buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	kids := ""
	for i := 0; i < d.Pages; i++ {
		kids += fmt.Sprintf("%d 0 R ", 4+3*i)
	}
	obj("<</Type/Catalog/Pages 2 0 R>>", nil)
	obj(fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", kids, d.Pages), nil)
	obj(fmt.Sprintf("<</Producer(kyso samples)/Title(%s)>>", "Scanned TTHC result"), nil)
	for i := 0; i < d.Pages; i++ {
		img, err := page(d, i)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		filter := "FlateDecode"
		if d.JPEG > 0 {
			filter = "DCTDecode"
			if err := jpeg.Encode(&z, img, &jpeg.Options{Quality: d.JPEG}); err != nil {
				return err
			}
		} else {
			zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
			zw.Write(img.Pix)
			zw.Close()
		}
		pg := 4 + 3*i
		obj(fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 %d 0 R>>>>/Contents %d 0 R>>", pg+2, pg+1), nil)
		content := []byte("q 595 0 0 842 0 0 cm /Im0 Do Q")
		obj(fmt.Sprintf("<</Length %d>>", len(content)), content)
		b := img.Bounds()
		obj(fmt.Sprintf("<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/%s/Length %d>>", b.Dx(), b.Dy(), filter, z.Len()), z.Bytes())
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f\r\n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<</Size %d/Root 1 0 R/Info 3 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	_, err := w.Write(buf.Bytes())
	return err
}

// Demo lists the sample results the demo signs.
func Demo() []Doc {
	return []Doc{
		{Title: "GIẤY KHAI SINH", Seed: 1, Lines: []string{"Họ, chữ đệm, tên: Nguyễn Thị Thu Hà (MẪU)", "Ngày, tháng, năm sinh: 05/03/2025", "Nơi sinh: Trạm Y tế xã Hòa Đông, tỉnh Đắk Lắk", "Số: 123/2025, Quyển số: 01"}},
		{Title: "GIẤY CHỨNG NHẬN KẾT HÔN", Seed: 2, Lines: []string{"Họ, chữ đệm, tên người chồng: Trần Văn Đức (MẪU)", "Họ, chữ đệm, tên người vợ: Lê Thị Ngọc Ánh (MẪU)", "Số: 45/2025"}},
		{Title: "BẢN SAO CHỨNG THỰC", Seed: 3, Pages: 2, Lines: []string{"Chứng thực bản sao đúng với bản chính", "Số chứng thực: 678, Quyển số: 02/2025-SCT/BS"}},
		{Title: "GIẤY PHÉP KINH DOANH", Seed: 4, Lines: []string{"Hộ kinh doanh: Tạp hóa Hòa Đông (MẪU)", "Mã số hộ kinh doanh: 40H8000123"}},
	}
}

// Rendered is a convenience for callers that want the bytes.
func Rendered(d Doc) ([]byte, error) {
	var b bytes.Buffer
	err := Write(&b, d)
	return b.Bytes(), err
}
