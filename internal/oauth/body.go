package oauth

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// LimitError is a read of a request's body stopped by a bound of the
// server's (internal/reqlimit: too many form parameters), which ReadBody
// answers with Description and Status.
type LimitError struct {
	Description string
	Status      int
}

func (e *LimitError) Error() string { return e.Description }

// ReadBody reads the body of a request to a JSON endpoint (token,
// revocation, introspection), at most max bytes: one byte more is read so
// that a body over the limit is told apart from one at it, and refused with
// 413 rather than cut. A body over the server's own bound (limits:
// maxBodyBytes, maxParams) is refused as such.
func ReadBody(r *http.Request, max int) ([]byte, *Error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(max)+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		var limit *LimitError
		switch {
		case errors.As(err, &tooBig):
			return nil, &Error{Code: InvalidRequest, Description: fmt.Sprintf("the request body is over %d bytes", tooBig.Limit), Status: http.StatusRequestEntityTooLarge}
		case errors.As(err, &limit):
			return nil, &Error{Code: InvalidRequest, Description: limit.Description, Status: limit.Status}
		}
		return nil, Errorf(InvalidRequest, "the request body could not be read")
	}
	if len(body) > max {
		return nil, &Error{Code: InvalidRequest, Description: fmt.Sprintf("the request body is over %d KiB", max>>10), Status: http.StatusRequestEntityTooLarge}
	}
	return body, nil
}
