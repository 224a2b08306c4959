// Package runtime executes chains of operators on records: codecs, in-band
// events and, later, state and timers.
package runtime
