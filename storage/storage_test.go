package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		name  string
		value string
		ok    bool
		msg   string
	}{
		{name: "ascii", value: "abc", ok: true},
		{name: "unicode", value: "clé-€", ok: true},
		{name: "at limit", value: strings.Repeat("a", storage.MaxKeyLen), ok: true},
		{name: "empty", value: "", msg: "jti is empty"},
		{name: "over limit", value: strings.Repeat("a", storage.MaxKeyLen+1), msg: "jti is 513 bytes, over the limit of 512"},
		{name: "over limit in bytes not runes", value: strings.Repeat("€", 171), msg: "jti is 513 bytes"},
		{name: "invalid utf-8", value: "a\xffb", msg: "not valid UTF-8"},
		{name: "nul", value: "a\x00b", msg: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := storage.CheckKey("jti", tt.value)
			if tt.ok {
				if err != nil {
					t.Fatalf("CheckKey = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, storage.ErrInvalid) {
				t.Fatalf("CheckKey = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("CheckKey = %q, want it to contain %q", err, tt.msg)
			}
		})
	}
}

func TestCheckUseOnce(t *testing.T) {
	if err := storage.CheckUseOnce("c", "j", time.Time{}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("zero expiry: %v, want ErrInvalid", err)
	}
	if err := storage.CheckUseOnce("", "j", time.Now()); err == nil || !strings.Contains(err.Error(), "client id is empty") {
		t.Errorf("empty client id: %v", err)
	}
	if err := storage.CheckUseOnce("c", "j", time.Now()); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := storage.CheckLimit(0); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("CheckLimit(0) = %v, want ErrInvalid", err)
	}
}
