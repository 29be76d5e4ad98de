package totp

import (
	"fmt"
	"strings"

	qr "github.com/piglig/go-qr"
)

// quietZone is the light border, in modules, that ISO/IEC 18004 requires
// around a QR code; scanners fail on codes drawn edge to edge.
const quietZone = 4

// modulePixels is the default drawn size of a module, so the SVG is sharp
// at its natural size; CSS may scale it (the viewBox keeps it square).
const modulePixels = 4

// QRCodeSVG draws uri (a Key URI) as a QR code in a self-contained SVG: one
// white rectangle, one black path, a title for screen readers, no scripts,
// no styles, no external references, so a page can inline it under a
// strict Content-Security-Policy. Error correction is Medium (15%), the
// usual balance between size and a phone camera's tolerance.
func QRCodeSVG(uri string) (string, error) {
	code, err := qr.EncodeText(uri, qr.Medium)
	if err != nil {
		return "", fmt.Errorf("totp: drawing the QR code: %w", err)
	}
	return renderSVG(code.Size(), code.Module), nil
}

// renderSVG draws a size×size module matrix. Each horizontal run of dark
// modules is one rectangle in the path, which keeps a 2 KB URI's SVG near
// 10 KB.
func renderSVG(size int, dark func(x, y int) bool) string {
	total := size + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges" role="img">`,
		total, total, total*modulePixels, total*modulePixels)
	b.WriteString(`<title>QR code for an authenticator app</title>`)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, total, total)
	b.WriteString(`<path fill="#000" d="`)
	for y := range size {
		for x := 0; x < size; {
			if !dark(x, y) {
				x++
				continue
			}
			start := x
			for x < size && dark(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+quietZone, y+quietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
