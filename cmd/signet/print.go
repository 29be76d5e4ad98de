package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/signetid/signet/internal/certs"
)

const timeLayout = "2006-01-02 15:04:05 UTC"

// fields prints aligned "name  value" lines, indented.
type fields struct {
	tw *tabwriter.Writer
}

func newFields(w io.Writer) *fields {
	return &fields{tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (f *fields) add(name, format string, args ...any) {
	fmt.Fprintf(f.tw, "  %s\t%s\n", name, fmt.Sprintf(format, args...))
}

func (f *fields) flush() { f.tw.Flush() }

// validity reads "2021-01-01 00:00:00 UTC to 2040-01-01 00:00:00 UTC (valid, expires in 13 years)".
func validity(s certs.Summary, now time.Time) string {
	v := s.NotBefore.Format(timeLayout) + " to " + s.NotAfter.Format(timeLayout)
	switch s.Validity {
	case "expired":
		return v + " (EXPIRED " + certs.Ago(now.Sub(s.NotAfter)) + " ago)"
	case "not yet valid":
		return v + " (NOT YET VALID: starts in " + certs.Ago(s.NotBefore.Sub(now)) + ")"
	}
	return v + " (valid, expires in " + certs.Ago(s.NotAfter.Sub(now)) + ")"
}

// printSummary prints a certificate's description.
func printSummary(w io.Writer, s certs.Summary, now time.Time) {
	f := newFields(w)
	f.add("Subject", "%s", s.Subject)
	if s.SelfSigned {
		f.add("Issuer", "%s (self-signed)", s.Issuer)
	} else {
		f.add("Issuer", "%s", s.Issuer)
	}
	f.add("Serial number", "%s", s.SerialNumber)
	f.add("Valid", "%s", validity(s, now))
	key := s.Key.String()
	if len(s.SigningAlgorithms) > 0 {
		key += " (signs " + strings.Join(s.SigningAlgorithms, ", ") + ")"
	}
	f.add("Key", "%s", key)
	f.add("Signature", "%s", s.SignatureAlgorithm)
	ku := "(none: any use)"
	if len(s.KeyUsage) > 0 {
		ku = strings.Join(s.KeyUsage, ", ")
	}
	f.add("Key usage", "%s", ku)
	if len(s.ExtendedKeyUsage) > 0 {
		f.add("Extended key usage", "%s", strings.Join(s.ExtendedKeyUsage, ", "))
	}
	f.add("Thumbprint", "%s  (SHA-1: Windows, Azure, WEBSITE_LOAD_CERTIFICATES)", s.Thumbprint)
	f.add("SHA-256", "%s", s.ThumbprintSHA256)
	if s.HasPrivateKey {
		match := "yes, matches the certificate"
		for _, fd := range s.Findings {
			if fd.Code == "key-mismatch" {
				match = "yes, but it DOES NOT match the certificate"
			}
		}
		f.add("Private key", "%s", match)
	} else {
		f.add("Private key", "no")
	}
	f.flush()
}

// printVerdict prints whether the credential can sign tokens and why not.
func printVerdict(w io.Writer, canSign bool, algs []string, findings []certs.Finding) {
	fmt.Fprintln(w)
	if canSign {
		fmt.Fprintf(w, "Token signing: yes (%s)\n", strings.Join(algs, ", "))
	} else {
		fmt.Fprintln(w, "Token signing: NO")
	}
	printFindings(w, "  ", findings)
}

func printFindings(w io.Writer, indent string, findings []certs.Finding) {
	for _, f := range findings {
		mark := "warning"
		if f.Severity == certs.Blocker {
			mark = "error"
		}
		fmt.Fprintf(w, "%s%s: %s\n", indent, mark, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "%s  fix: %s\n", indent, f.Fix)
		}
	}
}

func printWritten(w io.Writer, files []writtenFile) {
	fmt.Fprintln(w, "\nWrote")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range files {
		desc := f.Format + ", " + f.Contents
		if f.Protection != "" {
			desc += ", " + f.Protection
		}
		fmt.Fprintf(tw, "  %s\t%s, mode %s\n", f.Path, desc, f.Mode)
	}
	tw.Flush()
}
