package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/internal/kafkatest"
	"github.com/floe-yarn/floe/stream"
)

func TestParseArgs(t *testing.T) {
	base := []string{"--brokers", "h1:9092,h2:9092", "--input-topic", "tx", "--output-topic", "balances"}
	for _, tc := range []struct {
		name string
		args []string
		want Options
		err  string
	}{
		{"required only", base, Options{Brokers: []string{"h1:9092", "h2:9092"}, InputTopic: "tx", OutputTopic: "balances"}, ""},
		{"every flag", append(base, "--group", "g", "--bounded", "--rate", "50", "--skip-invalid"),
			Options{Brokers: []string{"h1:9092", "h2:9092"}, InputTopic: "tx", OutputTopic: "balances", Group: "g", Bounded: true, Rate: 50, SkipInvalid: true}, ""},
		{"no brokers", base[2:], Options{}, "--brokers is required"},
		{"no input topic", []string{"--brokers", "h:1", "--output-topic", "o"}, Options{}, "--input-topic is required"},
		{"no output topic", base[:4], Options{}, "--output-topic is required"},
		{"negative rate", append(base, "--rate", "-1"), Options{}, "--rate -1"},
		{"stray argument", append(base, "extra"), Options{}, `unexpected argument "extra"`},
		{"unknown flag", append(base, "--skip"), Options{}, "flag provided but not defined: -skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseArgs(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestSkipInvalid runs the job locally, bounded, over a topic with a bad
// record: it fails naming the record and --skip-invalid, and with
// --skip-invalid it finishes. Needs the broker of scripts/kafka.sh.
func TestSkipInvalid(t *testing.T) {
	bs := kafkatest.Brokers(t)
	t.Setenv(contract.EnvRole, "")
	cl, err := kgo.NewClient(kgo.SeedBrokers(bs...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	in, out := fmt.Sprintf("kl-skip-in-%d", time.Now().UnixNano()), fmt.Sprintf("kl-skip-out-%d", time.Now().UnixNano())
	for _, tp := range []string{in, out} {
		kafkatest.CreateTopic(t, bs, tp, 1)
	}
	var rs []*kgo.Record
	for _, v := range []string{"a 1", "b two", "a 2"} {
		rs = append(rs, &kgo.Record{Topic: in, Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for _, skip := range []bool{false, true} {
		t.Run(fmt.Sprintf("skip=%v", skip), func(t *testing.T) {
			nop := zerolog.Nop()
			env := stream.NewEnvironment(stream.Options{Parallelism: 1, Logger: &nop})
			Build(env, Options{Brokers: bs, InputTopic: in, OutputTopic: out, Bounded: true, SkipInvalid: skip})
			err := env.ExecuteContext(ctx, "kafka-ledger")
			if skip {
				if err != nil {
					t.Fatalf("with --skip-invalid: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "offset 1") || !strings.Contains(err.Error(), "(--skip-invalid skips such records)") {
				t.Fatalf("error %v: want one naming offset 1 and --skip-invalid", err)
			}
		})
	}
}
