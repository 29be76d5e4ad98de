package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// machine describes where and how the benchmark ran.
type machine struct {
	cpu, kernel, goVersion, revision, command string
	// crypto is the crypto backend of the signet binary (and of this tool,
	// built the same way): Go's own, or BoringCrypto when built with
	// GOEXPERIMENT=boringcrypto.
	crypto       string
	cores, procs int
	date         time.Time
}

// describe reads the machine, and the revision of signet from the binary
// or, when it was built without VCS stamping, from git in srcDir.
func describe(bin, srcDir string) machine {
	m := machine{
		cpu:       "unknown",
		kernel:    runtime.GOOS + "/" + runtime.GOARCH,
		goVersion: runtime.Version(),
		revision:  "unknown",
		crypto:    "Go's crypto/*",
		cores:     runtime.NumCPU(),
		procs:     runtime.GOMAXPROCS(0),
		date:      time.Now().UTC(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				m.cpu = strings.TrimSpace(value)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b)) + " " + runtime.GOARCH
	}
	if info, err := buildinfo.ReadFile(bin); err == nil {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			case "GOEXPERIMENT":
				if strings.Contains(s.Value, "boringcrypto") {
					m.crypto = "BoringCrypto (GOEXPERIMENT=boringcrypto)"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			m.revision = rev
			if modified == "true" {
				m.revision += " (with uncommitted changes)"
			}
		}
	}
	// The floor is signed by this tool: built another way than the server,
	// it would compare two crypto backends.
	self := "Go's crypto/*"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOEXPERIMENT" && strings.Contains(s.Value, "boringcrypto") {
				self = "BoringCrypto (GOEXPERIMENT=boringcrypto)"
			}
		}
	}
	if self != m.crypto {
		m.crypto = fmt.Sprintf("signet with %s but this tool, which signs the floor, with %s: build both the same way (set GOEXPERIMENT for go run) or the floor is not comparable", m.crypto, self)
	}
	if m.revision == "unknown" {
		if out, err := exec.Command("git", "-C", srcDir, "rev-parse", "--short=12", "HEAD").Output(); err == nil {
			m.revision = strings.TrimSpace(string(out))
			if out, err := exec.Command("git", "-C", srcDir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(out) > 0 {
				m.revision += " (with uncommitted changes)"
			}
		}
	}
	return m
}
