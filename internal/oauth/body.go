package oauth

import (
	"fmt"
	"io"
	"net/http"
)

// ReadBody reads the body of a request to a JSON endpoint (token,
// revocation, introspection), at most max bytes: one byte more is read so
// that a body over the limit is told apart from one at it, and refused with
// 413 rather than cut.
func ReadBody(r *http.Request, max int) ([]byte, *Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		return nil, Errorf(InvalidRequest, "the request body could not be read")
	}
	if len(body) > max {
		return nil, &Error{Code: InvalidRequest, Description: fmt.Sprintf("the request body is over %d KiB", max>>10), Status: http.StatusRequestEntityTooLarge}
	}
	return body, nil
}
