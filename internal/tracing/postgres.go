package tracing

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Queries is a pgx.QueryTracer (postgres.Options.QueryTracer): a span per
// PostgreSQL statement run within a traced request, named by the
// statement's verb ("postgresql SELECT"), never its text or arguments.
// Statements outside a request (the janitor, the watch of the
// configuration version, migrations) have no span: they would each start a
// trace of their own.
func (t *Tracer) Queries() pgx.QueryTracer { return queries{t} }

type queries struct{ t *Tracer }

// querySpan keys the span TraceQueryStart made, so that TraceQueryEnd ends
// that one and never the request's.
type querySpan struct{}

func (q queries) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	op := verb(data.SQL)
	ctx, span := q.t.tracer.Start(ctx, "postgresql "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", op)))
	return context.WithValue(ctx, querySpan{}, span)
}

func (queries) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(querySpan{}).(trace.Span)
	if !ok {
		return
	}
	if data.Err != nil {
		// Not the error's text: PostgreSQL's may quote a value.
		span.SetStatus(codes.Error, "query failed")
	} else {
		span.SetAttributes(attribute.Int64("db.response.returned_rows", data.CommandTag.RowsAffected()))
	}
	span.End()
}

// verb is the first word of a statement, in capitals ("SELECT", "WITH");
// "query" when it starts with something else.
func verb(sql string) string {
	sql = strings.TrimSpace(sql)
	end := 0
	for end < len(sql) && end < 16 && (sql[end]|0x20 >= 'a' && sql[end]|0x20 <= 'z') {
		end++
	}
	if end == 0 {
		return "query"
	}
	return strings.ToUpper(sql[:end])
}
