package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// Defaults of a File.
const (
	DefaultMaxSize  = 100 << 20
	DefaultMaxFiles = 5
)

// File is a Sink that appends JSON lines to a file (0600), rotated by
// size: a write that would take the file past MaxSize first renames it
// to Path.1 (Path.1 to Path.2, and so on), keeping MaxFiles rotated files
// and removing the oldest.
type File struct {
	path     string
	maxSize  int64
	maxFiles int
	f        *os.File
	size     int64
	buf      bytes.Buffer
}

// OpenFile opens (or creates, 0600) the audit file at path for appending.
// maxSize <= 0 means DefaultMaxSize; maxFiles < 0 means DefaultMaxFiles
// (0 keeps no rotated file: the full file is removed).
func OpenFile(path string, maxSize int64, maxFiles int) (*File, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if maxFiles < 0 {
		maxFiles = DefaultMaxFiles
	}
	fl := &File{path: path, maxSize: maxSize, maxFiles: maxFiles}
	if err := fl.open(); err != nil {
		return nil, err
	}
	return fl, nil
}

func (fl *File) open() error {
	f, err := os.OpenFile(fl.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the audit file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the audit file: %w", err)
	}
	fl.f, fl.size = f, st.Size()
	return nil
}

// Write appends the batch, one JSON object a line, rotating before a line
// that would take the file past its size (a line longer than the size
// alone goes into a file of its own).
func (fl *File) Write(_ context.Context, batch []Record) error {
	for i := range batch {
		start := fl.buf.Len()
		if err := json.NewEncoder(&fl.buf).Encode(&batch[i]); err != nil {
			return fmt.Errorf("encode an audit event: %w", err)
		}
		line := int64(fl.buf.Len() - start)
		if fl.size+int64(start) > 0 && fl.size+int64(start)+line > fl.maxSize {
			// The lines before this one fill the current file.
			if err := fl.flush(start); err != nil {
				return err
			}
			if err := fl.rotate(); err != nil {
				return err
			}
		}
	}
	return fl.flush(fl.buf.Len())
}

// flush writes the buffer's first n bytes and keeps the rest.
func (fl *File) flush(n int) error {
	if n == 0 {
		return nil
	}
	b := fl.buf.Bytes()
	w, err := fl.f.Write(b[:n])
	fl.size += int64(w)
	rest := append([]byte(nil), b[n:]...)
	fl.buf.Reset()
	fl.buf.Write(rest)
	if err != nil {
		return fmt.Errorf("write the audit file: %w", err)
	}
	return nil
}

// rotate closes the file, shifts the rotated ones up by one (the oldest
// removed) and opens a new, empty file.
func (fl *File) rotate() error {
	if err := fl.f.Close(); err != nil {
		return fmt.Errorf("close the audit file to rotate it: %w", err)
	}
	name := func(i int) string { return fl.path + "." + strconv.Itoa(i) }
	if fl.maxFiles == 0 {
		if err := os.Remove(fl.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate the audit file: %w", err)
		}
	} else {
		if err := os.Remove(name(fl.maxFiles)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate the audit file: %w", err)
		}
		for i := fl.maxFiles - 1; i >= 1; i-- {
			if err := os.Rename(name(i), name(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("rotate the audit file: %w", err)
			}
		}
		if err := os.Rename(fl.path, name(1)); err != nil {
			return fmt.Errorf("rotate the audit file: %w", err)
		}
	}
	return fl.open()
}

// Close closes the file.
func (fl *File) Close() error { return fl.f.Close() }
