package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/testsupport"
)

// A sign-in while the database's disk is full, in a real browser: the
// login form is shown (it needs no write), and signing in answers a page
// that asks to try again in a moment, 503, not a 500 "Something went
// wrong"; photographed at a phone's width and a desktop's, light and dark.
func TestBrowserStorageOutage(t *testing.T) {
	t.Parallel()
	data := testsupport.Tmpfs(t, 4<<20)
	ctx := browser(t)
	cam := newCamera(t, ctx)
	rp := acmeNotes(t)
	h := newHost(t)
	path := browserConfig(h, rp.URL)
	config, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(config), "\ndataDir: data\n") {
		t.Fatalf("browserConfig has no dataDir: data:\n%s", config)
	}
	srv := h.serve(h.write("signet.yaml", strings.Replace(string(config), "\ndataDir: data\n", "\ndataDir: "+data+"\n", 1)), "")
	conf := oauth2.Config{
		ClientID:    "notes",
		Endpoint:    oauth2.Endpoint{AuthURL: srv.base + "/connect/authorize", TokenURL: srv.base + "/connect/token"},
		RedirectURL: rp.URL + "/callback",
		Scopes:      []string{"openid", "profile"},
	}
	authorize := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if _, err := chromedp.RunResponse(ctx, chromedp.Navigate(authorize)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
		chromedp.SendKeys(chromedp.CSS("#password"), browserPassword),
	); err != nil {
		t.Fatal(err)
	}
	testsupport.Fill(t, filepath.Join(data, "filler"))
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`button[name=decision][value=login]`)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || resp.Status != http.StatusServiceUnavailable || !strings.Contains(body, "Try again in a moment") || strings.Contains(body, "Something went wrong") {
		status := 0
		if resp != nil {
			status = int(resp.Status)
		}
		t.Fatalf("signing in with the disk full: %d, the page says:\n%s\nlog:\n%s", status, body, srv.logs)
	}
	cam.shoot("storage-outage")
}
