package main

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/signetid/signet/internal/signin"
)

// TestSignInAudit: a wrong password (login.failed), a sign-in
// (login.succeeded, consent.given), the code exchanged (token.issued with
// the user) and a logout are audit events, in the log and in the sink:
// the file with SQLite, the audit_events table with PostgreSQL. No
// password, secret, code or token appears in either.
func TestSignInAudit(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			sink := "audit:\n  sink: file\n  file: audit.jsonl\n"
			var pg pgDB
			if backend == "postgres" {
				pg = newPGDB(t)
				sink = "storage:\n  driver: postgres\n  dsn: '" + pg.dsn + "'\naudit:\n  sink: postgres\n"
			}
			config := e2eConfig(h, newECClient(t, "jwtweb"), sink)
			inst := e2eServe(h, config)
			route := e2eRouteTo(inst)
			b := newE2EBrowser(t, route, e2eIssuerHost)
			rp := newE2ERP(t, route, "web", e2eWebSecret, e2eWebCallback, "openid", "profile", "offline_access")

			a := rp.authRequest()
			p := b.Get(a.url)
			const wrongPassword = "carol-typed-the-wrong-password"
			p = b.submit(p, "decision=login", url.Values{"username": {"carol"}, "password": {wrongPassword}})
			if p.URL.Path != signin.LoginPath || !strings.Contains(p.Body, "not right") {
				t.Fatalf("a wrong password: %v", p)
			}
			p = b.submit(p, "decision=login", url.Values{"username": {"carol"}, "password": {e2eCarolPassword}})
			p = b.submit(p, "decision=allow", nil)
			code := rp.code(p, a)
			tok, _ := rp.exchange(code, a)
			idToken := tok.Extra("id_token").(string)
			p = b.Get(rp.logoutURL(idToken, e2eWebSignedOut, "s"))
			e2eResponse(t, p, e2eWebSignedOut)
			if err := inst.stop(); err != nil { // flushes the sink
				t.Fatal(err)
			}

			// The log: text lines with logger=audit.
			logs := inst.logs.String()
			for _, want := range []string{
				`logger=audit event=login.failed result=invalid_credentials client=web`,
				`logger=audit event=login.succeeded result=success client=web subject=e2e-carol`,
				`logger=audit event=consent.given result=success client=web subject=e2e-carol`,
				`logger=audit event=token.issued result=success client=web subject=e2e-carol grant_type=authorization_code scopes="openid profile offline_access"`,
				`logger=audit event=logout result=success client=web subject=e2e-carol`,
			} {
				if !strings.Contains(logs, want) {
					t.Errorf("the log has no %s", want)
				}
			}

			// The sink.
			var kept []string
			if backend == "postgres" {
				kept = pgAuditRows(t, pg.dsn)
			} else {
				data, err := os.ReadFile(h.path("audit.jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range auditLines(t, string(data), false) {
					attrs, _ := json.Marshal(l["attrs"])
					kept = append(kept, l.str("event")+"|"+l.str("result")+"|"+l.str("client")+"|"+l.str("subject")+"|"+string(attrs))
				}
			}
			all := strings.Join(kept, "\n")
			for _, want := range []string{
				`login.failed|invalid_credentials|web||{"method":"pwd","username":"carol"}`,
				`login.succeeded|success|web|e2e-carol|{"amr":["pwd"],"idp":""}`,
				`consent.given|success|web|e2e-carol|{"remembered":true,"scopes":["openid","profile","offline_access"]}`,
				`token.issued|success|web|e2e-carol|null`,
				`logout|success|web|e2e-carol|null`,
			} {
				if !strings.Contains(all, want) {
					t.Errorf("the %s sink has no %s:\n%s", backend, want, all)
				}
			}

			everything := logs + all
			for what, s := range map[string]string{
				"the password": e2eCarolPassword, "the wrong password": wrongPassword, "the client secret": e2eWebSecret,
				"the code": code, "the access token": tok.AccessToken, "the refresh token": tok.RefreshToken, "the ID token": idToken,
			} {
				if strings.Contains(everything, s) {
					t.Errorf("%s appears in the audit", what)
				}
			}
		})
	}
}

// pgAuditRows are the rows of audit_events as event|result|client|subject|attrs.
func pgAuditRows(t *testing.T, dsn string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, err := conn.Query(t.Context(), `SELECT event, result, client_id, subject, coalesce(attrs::text, 'null') FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var event, result, client, subject, attrs string
		if err := rows.Scan(&event, &result, &client, &subject, &attrs); err != nil {
			t.Fatal(err)
		}
		// jsonb orders and spaces keys its own way: as the file's.
		var v any
		if err := json.Unmarshal([]byte(attrs), &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		attrs = string(b)
		out = append(out, strings.Join([]string{event, result, client, subject, attrs}, "|"))
	}
	return out
}
