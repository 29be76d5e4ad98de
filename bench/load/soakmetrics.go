package main

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metricsClient scrapes the server's metrics endpoint on a new connection
// each time, so that the scrape leaves no connection (and goroutine) of
// its own in the count.
var metricsClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// scrapeGoroutines returns go_goroutines from the Prometheus metrics at
// addr (-1 when unavailable).
func scrapeGoroutines(addr string) int {
	resp, err := metricsClient.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return -1
	}
	return parseGauge(resp.Body, "go_goroutines")
}

// parseGauge reads the value of an unlabelled metric name from the
// Prometheus text format (-1 when absent).
func parseGauge(r io.Reader, name string) int {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		return int(v)
	}
	return -1
}
