package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/outage"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/storage"
)

// keyExpiry is signet_key_expiry_seconds, computed at each scrape from the
// keys configured then (a reload or rotation changes them).
type keyExpiry struct {
	keys func() []*signing.Key
	now  func() time.Time
}

var keyExpiryDesc = prometheus.NewDesc("signet_key_expiry_seconds",
	"Seconds until the certificate of a configured signing or validation key expires (negative once expired); keys without a certificate, and managed keys, which rotate themselves, are not listed.",
	[]string{"kid", "role"}, nil)

func (c *keyExpiry) Describe(ch chan<- *prometheus.Desc) { ch <- keyExpiryDesc }

func (c *keyExpiry) Collect(ch chan<- prometheus.Metric) {
	if c.keys == nil {
		return
	}
	now := c.now()
	seen := map[[2]string]bool{}
	for _, k := range c.keys() {
		left, ok := expiry.Left(k, now)
		id := [2]string{k.ID, expiry.Role(k)}
		// One key may be configured twice (as a signing and as a
		// validation key is refused, but the same certificate in two
		// validation entries is not): a registry refuses a repeated series.
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		ch <- prometheus.MustNewConstMetric(keyExpiryDesc, prometheus.GaugeValue, left.Seconds(), id[0], id[1])
	}
}

// poolStatser is a store with connection pools (storage/sqlite,
// storage/postgres).
type poolStatser interface {
	PoolStats() []storage.PoolStats
}

// deferredStore is a storage.Deferred: the store once the database has
// answered, else nil.
type deferredStore interface {
	Store() storage.Store
}

// pools are the storage's connection pools, read at each scrape.
type pools struct {
	store any
}

var (
	poolConnsDesc = prometheus.NewDesc("signet_storage_connections",
		"Connections of the storage's pool, by state: in_use or idle.", []string{"pool", "state"}, nil)
	poolMaxDesc = prometheus.NewDesc("signet_storage_connections_max",
		"The most connections the storage's pool opens.", []string{"pool"}, nil)
	poolWaitsDesc = prometheus.NewDesc("signet_storage_waits_total",
		"Times a request found no free connection in the storage's pool and waited.", []string{"pool"}, nil)
	poolWaitDesc = prometheus.NewDesc("signet_storage_wait_seconds_total",
		"Time requests spent waiting for a connection of the storage's pool.", []string{"pool"}, nil)
	poolErrorsDesc = prometheus.NewDesc("signet_storage_acquire_errors_total",
		"Connections of the storage's pool that a request could not get: it gave up waiting, or none could be made (PostgreSQL).", []string{"pool"}, nil)
)

func (c *pools) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConnsDesc, poolMaxDesc, poolWaitsDesc, poolWaitDesc, poolErrorsDesc} {
		ch <- d
	}
}

func (c *pools) Collect(ch chan<- prometheus.Metric) {
	s := c.store
	if d, ok := s.(deferredStore); ok {
		if st := d.Store(); st != nil {
			s = st
		}
	}
	p, ok := s.(poolStatser)
	if !ok {
		return
	}
	for _, st := range p.PoolStats() {
		ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(st.InUse), st.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(st.Idle), st.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(poolMaxDesc, prometheus.GaugeValue, float64(st.Max), st.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(st.Waits), st.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, st.WaitTime.Seconds(), st.Pool)
		ch <- prometheus.MustNewConstMetric(poolErrorsDesc, prometheus.CounterValue, float64(st.Errors), st.Pool)
	}
}

// outages are storage outages as serve's outage.Tracker counts them, read
// at each scrape.
type outages struct {
	stats func() outage.Stats
}

var (
	outageDesc = prometheus.NewDesc("signet_storage_outage",
		"1 while a storage outage is reported (from its first log line to its last), else 0.", nil, nil)
	writesFailingDesc = prometheus.NewDesc("signet_storage_writes_failing",
		"1 while writes to the storage fail (a full disk, a read-only or unreachable database: /readyz answers 503), else 0.", nil, nil)
	outageRequestsDesc = prometheus.NewDesc("signet_storage_outage_requests_total",
		"Requests answered 503 temporarily_unavailable because of a storage outage, by its fault (full, read-only, locked, unreachable, timed out, overloaded, conflict, I/O error).", []string{"fault"}, nil)
)

func (c *outages) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outageDesc, writesFailingDesc, outageRequestsDesc} {
		ch <- d
	}
}

func (c *outages) Collect(ch chan<- prometheus.Metric) {
	if c.stats == nil {
		return
	}
	st := c.stats()
	ch <- prometheus.MustNewConstMetric(outageDesc, prometheus.GaugeValue, boolValue(st.Outage))
	ch <- prometheus.MustNewConstMetric(writesFailingDesc, prometheus.GaugeValue, boolValue(st.WritesFailing))
	for f, n := range st.Requests {
		ch <- prometheus.MustNewConstMetric(outageRequestsDesc, prometheus.CounterValue, float64(n), string(f))
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
