package server

import (
	"crypto/rand"
	"encoding/base32"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/signetid/signet/internal/endpoint"
)

// requestIDs gives each request an id for the logs: a random base made when
// the server is, so that two processes (or two instances behind one load
// balancer) do not give the same ids, and a counter. It is not a secret,
// and guessing the next one gains nothing.
type requestIDs struct {
	base string
	seq  atomic.Uint64
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newRequestIDs() requestIDs {
	var b [5]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return requestIDs{base: lowerBase32.EncodeToString(b[:])}
}

// of is the id of r: with trustProxy, the X-Request-Id the proxy in front
// sent when it is one well-formed value (so that a request can be followed
// from the proxy's log to ours); else a new one. Without trustProxy the
// header is anyone's to choose, and an id two requests can share is no id.
func (ids *requestIDs) of(r *http.Request, trustProxy bool) endpoint.ID {
	if trustProxy {
		if v := r.Header["X-Request-Id"]; len(v) == 1 && validRequestID(v[0]) {
			return endpoint.ID{Base: v[0]}
		}
	}
	return endpoint.ID{Base: ids.base, Seq: ids.seq.Add(1)}
}

// maxRequestIDLen bounds an incoming id: a UUID is 36, a W3C trace id 32.
const maxRequestIDLen = 128

// validRequestID accepts 1 to maxRequestIDLen letters, digits and
// "-_.:/+": UUIDs (Envoy's, Heroku's), hex (nginx's $request_id), unpadded
// base64; nothing a text log line would have to quote.
func validRequestID(v string) bool {
	if v == "" || len(v) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:/+", c) >= 0) {
			return false
		}
	}
	return true
}
