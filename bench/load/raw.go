package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// rawRequest is ep as the bytes of an HTTP/1.1 request to base, built once.
func rawRequest(base string, ep endpoint) ([]byte, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", ep.method, ep.path, u.Host)
	names := make([]string, 0, len(ep.header))
	for k := range ep.header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range ep.header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if ep.body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(ep.body))
	}
	b.WriteString("\r\n")
	b.Write(ep.body)
	return b.Bytes(), nil
}

// rawConn sends one pre-built request again and again on a keep-alive
// connection and reads just enough of each response to find its status
// and its end: the cheapest client, so that the generator takes as little
// CPU as possible from a server on the same machine. It reconnects after
// an error or a "Connection: close".
type rawConn struct {
	addr     string
	req      []byte
	deadline time.Time
	conn     net.Conn
	br       *bufio.Reader
}

func (c *rawConn) do() (int, error) {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		_ = conn.SetDeadline(c.deadline)
		c.conn = conn
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 16<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	if _, err := c.conn.Write(c.req); err != nil {
		c.close()
		return 0, err
	}
	status, keep, err := readResponse(c.br)
	if err != nil || !keep {
		c.close()
	}
	return status, err
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads one HTTP/1.1 response from br, discarding its body.
func readResponse(br *bufio.Reader) (status int, keepAlive bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	keepAlive = true
	length, chunked := int64(0), false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, errMalformed
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 {
				return 0, false, errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !bytes.EqualFold(value, []byte("close"))
		}
	}
	if status == 204 || status == 304 || status < 200 {
		return status, keepAlive, nil
	}
	if !chunked {
		_, err = br.Discard(int(length))
		return status, keepAlive, err
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		size, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		n, err := strconv.ParseInt(string(size), 16, 64)
		if err != nil || n < 0 {
			return 0, false, errMalformed
		}
		if n == 0 {
			break
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return 0, false, err
		}
	}
	// Trailers, up to the blank line.
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return status, keepAlive, nil
		}
	}
}
