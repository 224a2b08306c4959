// Package job is the rules example's job, Floe's real-time rule-marketing
// job: events "<eventTimeMillis> <user> <eventType>" keyed by user, rules
// "<validFromMillis> <ruleId> <eventType> <count> <withinMillis>" as a
// broadcast stream, and one output line "<user> <ruleId>
// <eventTimeMillis>" per distinct firing, through the exactly-once file
// sink (core.go states the semantics).
//
// It works in event time so that its output is the same on every run, at
// any parallelism, whatever fails:
//
//   - Events get their time as timestamp and a bounded-out-of-orderness
//     watermark (largest time − D − 1 ms per source split). Each user's
//     events wait in keyed state until the watermark passes them; an
//     event-time timer at each event's time evaluates the rules then, when
//     every event at or before it has arrived.
//   - Rules are read by one source subtask, in file order, and their source
//     emits no watermark until the rules input ends, when the runtime's
//     end-of-input watermark (the maximum) passes. The operator's
//     watermark, the minimum of both inputs', so stays below every event
//     until every rule line is in broadcast state: the events wait for the
//     rules input to end, which a bounded rules file always does. Then the
//     order of the rule lines does not matter — a line with a smaller
//     validFrom than an earlier line still applies from its own validFrom.
//     Every rule version is kept in broadcast state (not only the latest),
//     so an event at t uses the version in force at t.
//   - An event behind the watermark (disorder larger than D) is never
//     dropped: it is added at once, and the firings it adds — at its own
//     time and at later, already evaluated times whose windows reach back
//     to it — are written then (User.AddLate). Counts only grow with
//     events, so the set of firings is the same as if it had come in time;
//     only when they are written differs. The watermark is not part of a
//     checkpoint, so each user also keeps how far its events were
//     evaluated (User.Evaluated): after a restore, an event at or before
//     that is late too.
//
// Every event of a user stays in keyed state: a rule changed later may look
// back over any past window, and the contract puts no bound on within.
package job

import (
	"fmt"
	"math"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// RulesState is the broadcast state: every version of every rule, by rule
// id. (Savepoints of older versions of the job also hold a
// "latest-valid-from" broadcast state; the broadcast backend keeps a
// restored state nobody declares as it is, so they still restore.)
var RulesState = stream.MapStateDescriptor[string, []Rule]{Name: "rule-versions"}

// Options are the job's parameters (the example's flags).
type Options struct {
	Events, Rules, Output string
	// Rate is lines per second per source subtask (0: unlimited).
	Rate float64
	// OutOfOrderness bounds the events' disorder for their watermark.
	OutOfOrderness time.Duration
}

// Build adds the rules job to env.
func Build(env *stream.Environment, o Options) {
	stream.WriteText(Firings(EventStream(env, o), RuleStream(env, o)), o.Output).Name("Firings sink").UID("rules-sink")
}

// EventStream is the events input with timestamps and watermarks, one
// watermark generator per split (file range) of the source.
func EventStream(env *stream.Environment, o Options) stream.Stream[Event] {
	return stream.FromSourceWithWatermarks[Event](env, &lineSource[Event]{inner: stream.TextFileSource(o.Events), rate: o.Rate, what: "events", parse: ParseEvent},
		stream.ForBoundedOutOfOrderness[Event](o.OutOfOrderness).WithTimestampAssigner(func(e Event, _ int64) int64 { return e.Time }),
		"Events "+o.Events).UID("rules-events")
}

// RuleStream is the rules input: one reader, in file order, timestamped by
// validFrom, with no watermark before its end (noWatermarks).
func RuleStream(env *stream.Environment, o Options) stream.Stream[Rule] {
	return stream.FromSourceWithWatermarks[Rule](env, &lineSource[Rule]{inner: stream.TextFileSource(o.Rules), rate: o.Rate, what: "rules", parse: ParseRule},
		stream.ForGenerator(func() stream.WatermarkGenerator[Rule] { return noWatermarks{} }).WithTimestampAssigner(func(r Rule, _ int64) int64 { return r.ValidFrom }),
		"Rules "+o.Rules).UID("rules-rules").Parallelism(1)
}

// noWatermarks emits no watermark: the rules source holds the operator's
// event time back until it ends, when the runtime sends the maximum
// watermark for it, so that no event is evaluated before every rule line
// has arrived — whatever the order of the lines.
type noWatermarks struct{}

func (noWatermarks) OnEvent(Rule, int64, stream.WatermarkOutput) {}
func (noWatermarks) OnPeriodicEmit(stream.WatermarkOutput)       {}

// Firings evaluates the rules on the events: the output lines.
func Firings(events stream.Stream[Event], rules stream.Stream[Rule]) stream.Stream[string] {
	ks := stream.KeyBy(events, func(e Event) string { return e.User })
	bs := stream.Broadcast(rules, RulesState)
	return stream.KeyedBroadcastProcess(stream.ConnectBroadcast(ks, bs), stream.KeyedBroadcastProcessFuncs[string, Event, Rule, User, string]{
		Element:          onEvent,
		BroadcastElement: onRule,
		Timer:            onTimer,
	}).Name("Rules").UID("rules-evaluate")
}

// onRule keeps the rule line as a version of its rule, from its validFrom
// on; a later line with the same validFrom replaces it. Every instance
// sees the same lines in the same order, so all hold the same versions.
func onRule(ctx *stream.BroadcastContext, r Rule, _ func(string)) {
	versions := stream.BroadcastState(ctx, RulesState)
	vs, _ := versions.Get(r.ID)
	versions.Put(r.ID, AddVersion(append([]Rule(nil), vs...), r))
}

// onEvent buffers an event until the watermark passes it, or handles a
// late one at once. Late is at or before the operator's watermark, or at
// or before the user's last evaluation (User.Evaluated): after a restore
// the watermark starts from nothing, and an event the run before would
// have found late must not wait for a timer, which would evaluate its time
// again and leave the later evaluated times without it. No event is late
// before the watermark first moves (the rules input ended).
func onEvent(ctx *stream.KeyedBroadcastContext[string, User], e Event, emit func(string)) {
	u, ok := ctx.Value()
	if !ok {
		u = NewUser()
	}
	if wm := max(ctx.TimerService().CurrentWatermark(), u.Evaluated); wm > math.MinInt64 && e.Time <= wm {
		for _, f := range u.AddLate(e.User, e.Type, e.Time, wm, rulesOf(ctx)) {
			emit(f.String())
		}
	} else {
		u.Add(e.Type, e.Time)
		ctx.TimerService().RegisterEventTimeTimer(e.Time)
	}
	ctx.Update(u)
}

// onTimer evaluates the rules at time t for the timer's user. Timers fire
// in time order, so every event of the user at or before t has then been
// evaluated.
func onTimer(ctx *stream.KeyedBroadcastContext[string, User], t int64, emit func(string)) {
	u, ok := ctx.Value()
	if !ok {
		panic(fmt.Sprintf("rules: timer at %d of user %s, who has no events", t, ctx.Key()))
	}
	for _, f := range u.FiresAt(ctx.Key(), t, rulesOf(ctx)) {
		emit(f.String())
	}
	u.Evaluated = max(u.Evaluated, t)
	ctx.Update(u)
}

// rulesOf reads the rule versions of the broadcast state.
func rulesOf(ctx *stream.KeyedBroadcastContext[string, User]) Rules {
	m := stream.ReadOnlyBroadcastState(ctx, RulesState)
	return func(yield func(string, []Rule) bool) {
		m.Range(func(id string, vs []Rule) bool { return yield(id, vs) })
	}
}
