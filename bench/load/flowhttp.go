package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The sign-in modes (authcode, login) are flows of several requests, each
// depending on the answer to the one before (a Location header, a cookie,
// a form's hidden fields), so they cannot replay pre-built bytes. A
// flowClient sends one request and returns what a flow reads of the
// answer; like the generators of the single-request endpoints it comes in
// two kinds: raw (HTTP/1.1 written and read by hand on one keep-alive
// connection, the cheapest) and nethttp (a net/http Transport). Neither
// follows redirects or keeps cookies: the flows do that themselves, so
// that each step is checked.

// flowResp is what a flow reads of a response.
type flowResp struct {
	status   int
	location string
	// retryAfter is the Retry-After header ("" for none): the soak
	// checks that every 503 has one.
	retryAfter string
	// cookies are the Set-Cookie headers' name=value parts, in order.
	cookies []string
	body    []byte
}

// cookie returns the value of the last Set-Cookie of name ("" for none,
// or for one that deletes the cookie).
func (r *flowResp) cookie(name string) string {
	v := ""
	for _, c := range r.cookies {
		if n, val, ok := strings.Cut(c, "="); ok && n == name {
			v = val
		}
	}
	return v
}

type flowClient interface {
	// roundTrip sends one request; header holds "Name: value" lines.
	roundTrip(method, path string, header []string, body []byte) (*flowResp, error)
	close()
}

// newFlowClient returns a client of kind gen for base, whose requests
// each fail after timeout, and never after deadline (when not zero).
func newFlowClient(base, gen string, timeout time.Duration, deadline time.Time) flowClient {
	if gen == genRaw {
		host := strings.TrimPrefix(base, "http://")
		return &rawFlow{addr: host, host: host, timeout: timeout, deadline: deadline}
	}
	return &httpFlow{base: base, timeout: timeout, tr: &http.Transport{
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// errHung marks a request that had no complete answer within the
// request timeout: what the login storm's target calls a hung request.
var errHung = errors.New("no answer within the request timeout")

// rawFlow is a flowClient on one keep-alive connection, reconnecting
// after an error or a "Connection: close".
type rawFlow struct {
	addr, host string
	timeout    time.Duration
	deadline   time.Time
	conn       net.Conn
	br         *bufio.Reader
	req        bytes.Buffer
	resp       flowResp
}

func (c *rawFlow) roundTrip(method, path string, header []string, body []byte) (*flowResp, error) {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return nil, err
		}
		c.conn = conn
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 16<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	d := time.Now().Add(c.timeout)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d = c.deadline
	}
	_ = c.conn.SetDeadline(d)
	c.req.Reset()
	fmt.Fprintf(&c.req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, c.host)
	for _, h := range header {
		c.req.WriteString(h)
		c.req.WriteString("\r\n")
	}
	if body != nil {
		fmt.Fprintf(&c.req, "Content-Length: %d\r\n", len(body))
	}
	c.req.WriteString("\r\n")
	c.req.Write(body)
	if _, err := c.conn.Write(c.req.Bytes()); err != nil {
		c.close()
		return nil, timeoutErr(err)
	}
	keep, err := readFlowResponse(c.br, &c.resp)
	if err != nil || !keep {
		c.close()
	}
	if err != nil {
		return nil, timeoutErr(err)
	}
	return &c.resp, nil
}

func (c *rawFlow) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// timeoutErr wraps err with errHung when it is a timeout.
func timeoutErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", errHung, err)
	}
	return err
}

// readFlowResponse reads one HTTP/1.1 response from br into r (its slices
// reused), and reports whether the connection stays open.
func readFlowResponse(br *bufio.Reader, r *flowResp) (keepAlive bool, err error) {
	r.status, r.location, r.retryAfter, r.cookies, r.body = 0, "", "", r.cookies[:0], r.body[:0]
	line, err := br.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return false, errMalformed
	}
	if r.status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return false, errMalformed
	}
	keepAlive = true
	length, chunked := int64(-1), false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 {
				return false, errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		case bytes.EqualFold(name, []byte("Location")):
			r.location = string(value)
		case bytes.EqualFold(name, []byte("Retry-After")):
			r.retryAfter = string(value)
		case bytes.EqualFold(name, []byte("Set-Cookie")):
			nv, _, _ := bytes.Cut(value, []byte(";"))
			r.cookies = append(r.cookies, string(bytes.TrimSpace(nv)))
		}
	}
	switch {
	case r.status == 204 || r.status == 304 || r.status < 200:
		return keepAlive, nil
	case chunked:
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return false, err
			}
			size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
			n, err := strconv.ParseInt(string(size), 16, 64)
			if err != nil || n < 0 || n > 1<<20 {
				return false, errMalformed
			}
			if n == 0 {
				break
			}
			if r.body, err = readN(br, r.body, int(n)); err != nil {
				return false, err
			}
			if _, err := br.Discard(2); err != nil {
				return false, err
			}
		}
		for { // trailers, up to the blank line
			line, err := br.ReadSlice('\n')
			if err != nil {
				return false, err
			}
			if len(bytes.TrimRight(line, "\r\n")) == 0 {
				return keepAlive, nil
			}
		}
	case length >= 0:
		if length > 1<<20 {
			return false, errMalformed
		}
		r.body, err = readN(br, r.body, int(length))
		return keepAlive, err
	default: // the body ends with the connection
		b, err := io.ReadAll(io.LimitReader(br, 1<<20))
		r.body = append(r.body, b...)
		return false, err
	}
}

// readN appends n bytes of br to b.
func readN(br *bufio.Reader, b []byte, n int) ([]byte, error) {
	start := len(b)
	b = slices.Grow(b, n)[:start+n]
	_, err := io.ReadFull(br, b[start:])
	return b, err
}

// httpFlow is a flowClient on a net/http Transport.
type httpFlow struct {
	base    string
	timeout time.Duration
	tr      *http.Transport
}

func (c *httpFlow) roundTrip(method, path string, header []string, body []byte) (*flowResp, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for _, h := range header {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Add(name, strings.TrimSpace(value))
	}
	resp, err := c.tr.RoundTrip(req)
	if err != nil {
		return nil, timeoutErr(err)
	}
	defer resp.Body.Close()
	r := &flowResp{status: resp.StatusCode, location: resp.Header.Get("Location"), retryAfter: resp.Header.Get("Retry-After")}
	for _, sc := range resp.Header.Values("Set-Cookie") {
		nv, _, _ := strings.Cut(sc, ";")
		r.cookies = append(r.cookies, strings.TrimSpace(nv))
	}
	if r.body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20)); err != nil {
		return nil, timeoutErr(err)
	}
	return r, nil
}

func (c *httpFlow) close() { c.tr.CloseIdleConnections() }
