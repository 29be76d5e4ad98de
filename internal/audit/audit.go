package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/storage"
)

// Defaults for Options.
const (
	DefaultBuffer = 4096
	// maxBatch is the most events written to a sink at once.
	maxBatch = 256
)

// Sink keeps events somewhere besides the log. Write is called by one
// goroutine at a time, with a batch it must not keep; Close once, after
// the last Write.
type Sink interface {
	Write(ctx context.Context, batch []Record) error
	Close() error
}

// Record is one event as a sink keeps it: the event's fields, bounded, with
// its time and the request's id. Its JSON is a line of the audit file.
type Record struct {
	Time      time.Time      `json:"time"`
	Event     string         `json:"event"`
	Result    string         `json:"result"`
	Client    string         `json:"client,omitempty"`
	Subject   string         `json:"subject,omitempty"`
	GrantType string         `json:"grant_type,omitempty"`
	Scopes    []string       `json:"scopes,omitempty"`
	KeyID     string         `json:"kid,omitempty"`
	Alg       string         `json:"alg,omitempty"`
	Remote    string         `json:"remote,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Detail    string         `json:"detail,omitempty"`
	Attrs     map[string]any `json:"attrs,omitempty"`
}

// Options are what an audit log is made of.
type Options struct {
	// Logger receives the audit lines; nil means none (audit.log: false).
	// Give it a handler at INFO or below: the lines are INFO. New adds
	// logger=audit to it.
	Logger *slog.Logger
	// Sink, when set, keeps every event too.
	Sink Sink
	// Buffer is how many events wait for the sink at most; DefaultBuffer
	// if zero. A full buffer drops events (counted, with a WARN).
	Buffer int
	// Exclude are the names of events not audited (observe.Names).
	Exclude []string
	// Warn receives the audit log's own problems: events dropped, a sink
	// that failed. Nil: slog.Default().
	Warn *slog.Logger
	// Now is the clock of the records; time.Now if nil.
	Now func() time.Time
}

// Log is the audit log, an observe.Observer. Close it to flush its sink.
type Log struct {
	logger  *slog.Logger
	warn    *slog.Logger
	exclude map[string]bool
	now     func() time.Time

	sink    Sink
	queue   chan Record
	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
	dropped atomic.Int64
	// closeErr is the sink's Close error, read after done.
	closeErr error
	// Batches lost to a storage outage are told at most once every
	// lostEvery (by the writer goroutine only): when the last line was,
	// and the events lost since.
	lostTold  time.Time
	lostSince int64
}

// lostEvery bounds the lines that tell of audit events lost to a storage
// outage: the sink fails at every batch, which under light load is every
// event, and the outage itself is reported once by the outage report.
const lostEvery = time.Minute

var _ observe.Observer = (*Log)(nil)

// New makes an audit log and, with a sink, starts its writer. It refuses
// an unknown event name in Exclude.
func New(opts Options) (*Log, error) {
	l := &Log{warn: opts.Warn, now: opts.Now, sink: opts.Sink}
	if opts.Logger != nil {
		l.logger = opts.Logger.With(slog.String("logger", "audit"))
	}
	if l.warn == nil {
		l.warn = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	for _, name := range opts.Exclude {
		if !slices.Contains(observe.Names, name) {
			return nil, fmt.Errorf("audit: unknown event %q to exclude; the events are %s", name, strings.Join(observe.Names, ", "))
		}
		if l.exclude == nil {
			l.exclude = map[string]bool{}
		}
		l.exclude[name] = true
	}
	if l.sink != nil {
		n := opts.Buffer
		if n <= 0 {
			n = DefaultBuffer
		}
		l.queue = make(chan Record, n)
		l.stop = make(chan struct{})
		l.done = make(chan struct{})
		go l.write()
	}
	return l, nil
}

// Observe writes e to the log line and queues it for the sink, without
// waiting for the sink.
func (l *Log) Observe(ctx context.Context, e *observe.Event) {
	if l.exclude[e.Name] {
		return
	}
	result := e.Result
	if result == "" {
		result = observe.Success
	}
	rid := endpoint.RequestID(ctx)
	if l.logger != nil {
		l.logger.LogAttrs(ctx, slog.LevelInfo, "audit", l.attrs(e, result, rid)...)
	}
	if l.queue == nil {
		return
	}
	select {
	case l.queue <- l.record(e, result, rid):
	default:
		l.dropped.Add(1)
	}
}

// attrs are e's log attributes: event and result always, the others when
// set.
func (l *Log) attrs(e *observe.Event, result, rid string) []slog.Attr {
	a := make([]slog.Attr, 0, 12+len(e.Attrs))
	a = append(a, slog.String("event", e.Name), logattr.String("result", result))
	add := func(key, v string) {
		if v != "" {
			a = append(a, logattr.String(key, v))
		}
	}
	add("client", e.Client)
	add("subject", e.Subject)
	add("grant_type", e.GrantType)
	if len(e.Scopes) > 0 {
		a = append(a, logattr.Text("scopes", strings.Join(e.Scopes, " ")))
	}
	add("kid", e.KeyID)
	add("alg", e.Alg)
	add("remote", e.Remote)
	add("request_id", rid)
	if e.Detail != "" {
		a = append(a, logattr.Text("detail", e.Detail))
	}
	return append(a, e.Attrs...)
}

// record is e as a sink keeps it, copied (the Event is not ours after
// Observe returns).
func (l *Log) record(e *observe.Event, result, rid string) Record {
	r := Record{
		Time: l.now().UTC(), Event: e.Name, Result: logattr.Cut(result),
		Client: logattr.Cut(e.Client), Subject: logattr.Cut(e.Subject), GrantType: logattr.Cut(e.GrantType),
		KeyID: logattr.Cut(e.KeyID), Alg: logattr.Cut(e.Alg), Remote: logattr.Cut(e.Remote), RequestID: rid,
		Detail: logattrText(e.Detail),
	}
	if len(e.Scopes) > 0 {
		r.Scopes = make([]string, len(e.Scopes))
		for i, s := range e.Scopes {
			r.Scopes[i] = logattr.Cut(s)
		}
	}
	if len(e.Attrs) > 0 {
		r.Attrs = make(map[string]any, len(e.Attrs))
		for _, a := range e.Attrs {
			r.Attrs[a.Key] = attrValue(a.Value)
		}
	}
	return r
}

func logattrText(s string) string { return logattr.Text("", s).Value.String() }

// attrValue is v as JSON can hold it: groups as objects, the rest as
// their Go values (a string bounded).
func attrValue(v slog.Value) any {
	switch v = v.Resolve(); v.Kind() {
	case slog.KindGroup:
		m := map[string]any{}
		for _, a := range v.Group() {
			m[a.Key] = attrValue(a.Value)
		}
		return m
	case slog.KindString:
		return logattr.Cut(v.String())
	case slog.KindTime:
		return v.Time().UTC()
	case slog.KindDuration:
		return v.Duration().String()
	case slog.KindAny:
		if ss, ok := v.Any().([]string); ok {
			return ss
		}
		return logattr.Cut(v.String())
	}
	return v.Any()
}

// Dropped is how many events the sink's full buffer dropped, or its
// failures lost, since New.
func (l *Log) Dropped() int64 { return l.dropped.Load() }

// write is the sink's goroutine: it takes what the buffer holds, up to
// maxBatch events, and writes it; after a write it reports events dropped
// since the last report.
func (l *Log) write() {
	defer close(l.done)
	batch := make([]Record, 0, maxBatch)
	var reported int64
	for {
		select {
		case r := <-l.queue:
			batch = append(batch[:0], r)
		case <-l.stop:
			// Drain what was queued before Close, then stop; a sink that
			// fails now (a database gone) loses the rest at once rather
			// than hold the shutdown for a timeout per batch.
			for {
				batch = batch[:0]
				for len(batch) < maxBatch {
					select {
					case r := <-l.queue:
						batch = append(batch, r)
						continue
					default:
					}
					break
				}
				if len(batch) == 0 || !l.flush(batch) {
					l.dropped.Add(int64(len(l.queue)))
					l.report(&reported)
					l.closeErr = l.sink.Close()
					return
				}
			}
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			default:
				break more
			}
		}
		l.flush(batch)
		l.report(&reported)
	}
}

// flush writes batch, within flushTimeout; false when the sink failed
// (the events are counted as lost, with a WARN).
func (l *Log) flush(batch []Record) bool {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	if err := l.sink.Write(ctx, batch); err != nil {
		l.dropped.Add(int64(len(batch)))
		if !errors.Is(err, storage.ErrUnavailable) {
			l.warn.Warn("audit events lost: the audit sink could not write them", slog.Int("events", len(batch)), slog.String("error", err.Error()))
			return false
		}
		l.lostSince += int64(len(batch))
		if now := time.Now(); now.Sub(l.lostTold) >= lostEvery {
			l.warn.Warn("audit events lost: the audit sink's database is unavailable (told at most once a minute)",
				slog.Int64("events", l.lostSince), slog.String("error", err.Error()))
			l.lostTold, l.lostSince = now, 0
		}
		return false
	}
	if l.lostSince > 0 {
		l.warn.Warn("audit events lost: the audit sink's database was unavailable", slog.Int64("events", l.lostSince))
		l.lostTold, l.lostSince = time.Now(), 0
	}
	return true
}

// flushTimeout bounds one write of a batch: a database that does not
// answer (or is not open yet) loses the batch rather than stall the
// writer for ever.
const flushTimeout = 30 * time.Second

// report warns of the events dropped since the last report, once per
// batch at most, so that a flood of drops is one line per write.
func (l *Log) report(reported *int64) {
	if n := l.dropped.Load(); n > *reported {
		l.warn.Warn("audit events dropped: the audit sink's buffer was full (audit.sink is slower than the events)",
			slog.Int64("dropped", n-*reported), slog.Int64("dropped_total", n))
		*reported = n
	}
}

// Close flushes the events queued for the sink and closes it. The log
// must not be observed after.
func (l *Log) Close() error {
	if l.sink == nil {
		return nil
	}
	l.closing.Do(func() { close(l.stop) })
	<-l.done
	return l.closeErr
}

// attrsJSON is a record's Attrs as a JSON object, nil for none.
func attrsJSON(r *Record) []byte {
	if len(r.Attrs) == 0 {
		return nil
	}
	b, err := json.Marshal(r.Attrs)
	if err != nil {
		return nil
	}
	return b
}
