package runtime

import "math"

// Watermark bounds and markers, in event-time milliseconds.
const (
	// MinWatermark is the watermark before any: nothing is known yet.
	MinWatermark int64 = math.MinInt64
	// MaxWatermark ends event time: every event-time timer fires. A
	// bounded input sends it at its end.
	MaxWatermark int64 = math.MaxInt64
	// IdleWatermark, as the timestamp of a Watermark event, marks the
	// channel idle (Flink's WatermarkStatus.IDLE): it stops holding the
	// consumer's watermark back until it delivers a record or a
	// watermark again. No real watermark is ever MinWatermark, so the
	// same value serves.
	IdleWatermark int64 = math.MinInt64
)

// WatermarkValve combines the watermarks of a task's input channels into
// the task's input watermark (Flink's StatusWatermarkValve). It is a
// deterministic core: the task feeds it watermark events, records (which
// make an idle channel active) and channel ends, and forwards what it
// returns.
//
// The output is the minimum over the channels that are neither idle nor
// ended; it only advances. A channel that ended counts as MaxWatermark, so
// the output is MaxWatermark once every channel ended. When every channel
// still open is idle, the output becomes idle and advances to the largest
// watermark of those channels (nothing holds it back any more).
type WatermarkValve struct {
	wm      []int64
	idle    []bool
	ended   []bool
	nIdle   int
	out     int64
	outIdle bool
}

// ValveOutput is what the valve tells the task after an input.
type ValveOutput struct {
	// Advanced is set when the input watermark moved forward to
	// Watermark: forward it to the chain.
	Advanced  bool
	Watermark int64
	// Idle is set when the input became idle: every open channel is idle.
	Idle bool
}

// NewWatermarkValve returns a valve over n channels, all active at
// MinWatermark.
func NewWatermarkValve(n int) *WatermarkValve {
	v := &WatermarkValve{wm: make([]int64, n), idle: make([]bool, n), ended: make([]bool, n), out: MinWatermark}
	for i := range v.wm {
		v.wm[i] = MinWatermark
	}
	return v
}

// Current is the output watermark so far.
func (v *WatermarkValve) Current() int64 { return v.out }

// HasIdle reports whether some channel is idle (the task then tells the
// valve about records with Active).
func (v *WatermarkValve) HasIdle() bool { return v.nIdle > 0 }

// Watermark handles a Watermark event of timestamp wm on channel ch
// (IdleWatermark marks it idle).
func (v *WatermarkValve) Watermark(ch int, wm int64) ValveOutput {
	if v.ended[ch] {
		return ValveOutput{}
	}
	if wm == IdleWatermark {
		if !v.idle[ch] {
			v.idle[ch] = true
			v.nIdle++
		}
		return v.update()
	}
	v.activate(ch)
	if wm > v.wm[ch] {
		v.wm[ch] = wm
	}
	return v.update()
}

// Active handles a record on ch: an idle channel becomes active again
// (keeping its last watermark).
func (v *WatermarkValve) Active(ch int) ValveOutput {
	if !v.idle[ch] {
		return ValveOutput{}
	}
	v.activate(ch)
	return v.update()
}

// End handles the end of channel ch.
func (v *WatermarkValve) End(ch int) ValveOutput {
	if v.ended[ch] {
		return ValveOutput{}
	}
	v.activate(ch)
	v.ended[ch] = true
	v.wm[ch] = MaxWatermark
	return v.update()
}

func (v *WatermarkValve) activate(ch int) {
	if v.idle[ch] {
		v.idle[ch] = false
		v.nIdle--
	}
}

func (v *WatermarkValve) update() ValveOutput {
	low, anyActive := MaxWatermark, false
	maxIdle := MinWatermark
	for i, w := range v.wm {
		switch {
		case v.idle[i]:
			maxIdle = max(maxIdle, w)
		case v.ended[i]:
		default:
			anyActive = true
			low = min(low, w)
		}
	}
	var o ValveOutput
	if !anyActive && v.nIdle > 0 {
		// Every open channel is idle: nothing holds the output back.
		low = maxIdle
		if !v.outIdle {
			v.outIdle, o.Idle = true, true
		}
	} else {
		v.outIdle = false
	}
	if low > v.out {
		v.out = low
		o.Advanced, o.Watermark = true, low
	}
	return o
}
