package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	WriteError(w, ClientError(false, `scope "a\b" is unknown (RFC 6749 §3.3) — é`))
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v", w.Code, w.Header())
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["error"] != "invalid_client" {
		t.Errorf("error %q", body["error"])
	}
	for _, r := range body["error_description"] {
		if !(r == 0x20 || r == 0x21 || r >= 0x23 && r <= 0x5b || r >= 0x5d && r <= 0x7e) {
			t.Errorf("error_description %q has %q, outside RFC 6749's set", body["error_description"], r)
		}
	}
	if want := `scope 'a/b' is unknown (RFC 6749 section 3.3) ? ?`; body["error_description"] != want {
		t.Errorf("error_description %q, want %q", body["error_description"], want)
	}
}

func TestAsError(t *testing.T) {
	t.Parallel()
	e := AsError(errors.New("disk on fire"))
	if e.Code != ServerError || e.Status != 500 || e.Description == "disk on fire" {
		t.Errorf("%+v: the cause must stay in the log", e)
	}
	own := Errorf(InvalidScope, "x")
	if AsError(own) != own {
		t.Error("an *Error is not passed through")
	}
}
