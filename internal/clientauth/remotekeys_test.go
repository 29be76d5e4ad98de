package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/client"
)

func keySetJSON(t *testing.T, keys ...jose.JSONWebKey) []byte {
	t.Helper()
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A slow jwksUri costs one fetch, whatever the number of requests waiting,
// and none waits longer than Wait.
func TestRemoteKeysSlowEndpoint(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	rk := &RemoteKeys{Wait: 200 * time.Millisecond}
	var wg sync.WaitGroup
	start := time.Now()
	for range 10 {
		wg.Go(func() {
			if _, err := rk.Keys(context.Background(), srv.URL, false); !errors.Is(err, ErrKeysUnavailable) {
				t.Errorf("got %v, want ErrKeysUnavailable", err)
			}
		})
	}
	wg.Wait()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("10 requests took %v: they queued behind each other", d)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 10 concurrent requests, want 1", n)
	}
}

// A failing jwksUri is not fetched again for every request.
func TestRemoteKeysFailureBackoff(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	rk := &RemoteKeys{}
	for range 5 {
		if _, err := rk.Keys(context.Background(), srv.URL, true); err == nil || !strings.Contains(err.Error(), "503") {
			t.Fatalf("err %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 5 requests within MinRefresh, want 1", n)
	}
}

// Redirects are not followed, and a stale set is served while a refresh
// runs.
func TestRemoteKeysRedirectAndStale(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good := keySetJSON(t, jose.JSONWebKey{Key: key.Public(), KeyID: "k", Use: "sig"})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(good) }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirect.Close()
	if _, err := (&RemoteKeys{}).Keys(context.Background(), redirect.URL, false); err == nil || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Errorf("redirect: %v", err)
	}
	rk := &RemoteKeys{TTL: time.Nanosecond, MinRefresh: time.Nanosecond}
	if _, err := rk.Keys(context.Background(), target.URL, false); err != nil {
		t.Fatal(err)
	}
	target.Close() // gone: the stale set still answers
	set, err := rk.Keys(context.Background(), target.URL, false)
	if err != nil || len(set.Keys) != 1 {
		t.Fatalf("stale set: %v", err)
	}
}

// Keys a client may not use are refused in the configuration and skipped
// in a fetched set.
func TestClientKeyChecks(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak := jose.JSONWebKey{Key: small.Public(), KeyID: "weak", Use: "sig"}
	enc := jose.JSONWebKey{Key: ec.Public(), KeyID: "enc", Use: "enc"}
	ok := jose.JSONWebKey{Key: ec.Public(), KeyID: "ok", Use: "sig"}
	if _, err := client.ParseKeys(keySetJSON(t, weak)); err == nil || !strings.Contains(err.Error(), "RSA key of 1024 bits") {
		t.Errorf("RSA-1024: %v", err)
	}
	if _, err := client.ParseKeys(keySetJSON(t, enc)); err == nil || !strings.Contains(err.Error(), `use "enc"`) {
		t.Errorf("use enc: %v", err)
	}
	set, err := client.ParseKeySet(keySetJSON(t, weak, enc, ok), false)
	if err != nil || len(set.Keys) != 1 || set.Keys[0].KeyID != "ok" {
		t.Errorf("lenient: %v %v", set, err)
	}
}
