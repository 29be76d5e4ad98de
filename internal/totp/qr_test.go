package totp

import (
	"encoding/xml"
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	qr "github.com/piglig/go-qr"
)

// svgDoc is the shape QRCodeSVG promises: a title, one rect, one path.
type svgDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Title   string   `xml:"title"`
	Rect    struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Path struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
}

var run = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rasterize draws the SVG's path at scale pixels a module, the way a
// browser would, so the library's decoder can read it back.
func rasterize(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	f := strings.Fields(doc.ViewBox)
	if len(f) != 4 || f[0] != "0" || f[1] != "0" || f[2] != f[3] {
		t.Fatalf("viewBox %q", doc.ViewBox)
	}
	total, _ := strconv.Atoi(f[2])
	if rest := run.ReplaceAllString(doc.Path.D, ""); rest != "" {
		t.Fatalf("path has commands other than runs: %q", rest)
	}
	img := image.NewGray(image.Rect(0, 0, total*scale, total*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, m := range run.FindAllStringSubmatch(doc.Path.D, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		if m[3] != m[4] {
			t.Fatalf("run %q does not close", m[0])
		}
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

func TestQRCodeSVGDecodesToTheURI(t *testing.T) {
	t.Parallel()
	k, err := NewKey("Signet Example", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	svg, err := QRCodeSVG(k.URI)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "href", "style", "on", "http://", "https://"} {
		s := strings.ReplaceAll(svg, `xmlns="http://www.w3.org/2000/svg"`, "")
		if bad == "on" {
			if regexp.MustCompile(`\son\w+=`).MatchString(s) {
				t.Errorf("SVG has an event handler: %s", svg)
			}
			continue
		}
		if strings.Contains(s, bad) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	if len(svg) > 12_000 {
		t.Errorf("SVG is %d bytes", len(svg))
	}
	got, err := qr.Decode(rasterize(t, svg, 4))
	if err != nil {
		t.Fatalf("decoding the drawn QR code: %v", err)
	}
	if got != k.URI {
		t.Errorf("QR code decodes to %q, want %q", got, k.URI)
	}
}

// The SVG draws exactly the library's matrix, inside a 4-module quiet zone.
func TestQRCodeSVGMatchesMatrix(t *testing.T) {
	t.Parallel()
	const uri = "otpauth://totp/Signet:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Signet&algorithm=SHA1&digits=6&period=30"
	code, err := qr.EncodeText(uri, qr.Medium)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := QRCodeSVG(uri)
	if err != nil {
		t.Fatal(err)
	}
	img := rasterize(t, svg, 1).(*image.Gray)
	n := code.Size()
	if img.Bounds().Dx() != n+2*quietZone {
		t.Fatalf("SVG is %d modules wide, matrix %d + quiet zone", img.Bounds().Dx(), n)
	}
	for y := range n + 2*quietZone {
		for x := range n + 2*quietZone {
			mx, my := x-quietZone, y-quietZone
			want := mx >= 0 && my >= 0 && mx < n && my < n && code.Module(mx, my)
			if got := img.GrayAt(x, y).Y == 0; got != want {
				t.Fatalf("module (%d,%d): dark %v, want %v", mx, my, got, want)
			}
		}
	}
}

func TestQRCodeSVGRefusesTooLong(t *testing.T) {
	t.Parallel()
	if _, err := QRCodeSVG(strings.Repeat("x", 5000)); err == nil {
		t.Error("a 5000-byte URI was drawn")
	}
}
