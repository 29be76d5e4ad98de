//go:build !linux

package main

import (
	"errors"
	"syscall"
	"time"
)

// Elsewhere than Linux the tool still runs and measures rates and
// latencies; CPU and memory columns stay empty.

var errNoProc = errors.New("process statistics need Linux /proc")

func procCPU(int) (time.Duration, error)      { return 0, errNoProc }
func procMem(int) (rss, hwm int64, err error) { return 0, 0, errNoProc }
func resetPeak(int) bool                      { return false }
func selfCPU() time.Duration                  { return 0 }

func machineBusy() (time.Duration, error) { return 0, errNoProc }

// childAttr: elsewhere, children are stopped when this process returns.
func childAttr() *syscall.SysProcAttr { return nil }

func procThreads(int) int { return 0 }
func procFDs(int) int     { return 0 }
