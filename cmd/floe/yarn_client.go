package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"os/user"
	"syscall"
	"time"

	"github.com/floe-yarn/floe/client"
	"github.com/floe-yarn/floe/conf"
	"github.com/floe-yarn/floe/contract"
	"github.com/floe-yarn/floe/hdfsstore"
	"github.com/floe-yarn/floe/internal/consolelog"
	"github.com/floe-yarn/floe/yarnrpc"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
)

// Yarn execution targets of -t.
const (
	targetYarnSession     = "yarn-session"
	targetYarnPerJob      = "yarn-per-job"
	targetYarnApplication = "yarn-application"
)

// rmCallTimeout bounds each RM call of the command-line client, so an
// unreachable RM is an error within seconds, not a hang.
const rmCallTimeout = 20 * time.Second

// yarnEnv is what every YARN command needs.
type yarnEnv struct {
	cfg   *conf.Config
	rm    *yarnrpc.RMClient
	store *hdfsstore.Store
	desc  *client.YarnDescriptor
}

func (e *yarnEnv) Close() {
	if e.rm != nil {
		_ = e.rm.Close()
	}
	if e.store != nil {
		_ = e.store.Close()
	}
}

// newYarnEnv loads the Hadoop configuration and builds the RM client, the
// HDFS store and the descriptor.
func newYarnEnv(ctx context.Context, c *cli.Context, cfg *conf.Config) (*yarnEnv, error) {
	h, err := conf.LoadHadoop("")
	if err != nil {
		return nil, err
	}
	log := zerolog.Nop()
	if os.Getenv("FLOE_DEBUG") != "" {
		log = consolelog.New(os.Stderr, zerolog.DebugLevel)
	}
	krb, err := kerberosLogin(cfg, h)
	if err != nil {
		return nil, err
	}
	rmo := yarnrpc.RMClientOptions{Hadoop: h, DialTimeout: 5 * time.Second, CallTimeout: rmCallTimeout, Logger: log}
	sto := hdfsstore.Options{Hadoop: h, Logger: log, DialTimeout: 5 * time.Second, CallTimeout: 30 * time.Second}
	if krb != nil {
		rmo.Kerberos, sto.Kerberos = krb.KerberosAuth, krb.Client
	}
	rm, err := yarnrpc.NewRMClient(ctx, rmo)
	if err != nil {
		return nil, err
	}
	st, err := hdfsstore.New(ctx, sto)
	if err != nil {
		_ = rm.Close()
		return nil, err
	}
	yo := client.YarnOptions{Config: cfg, RM: rm, Store: st, Hadoop: h, Out: c.App.ErrWriter, Logger: log}
	if krb != nil {
		yo.Tokens = client.KerberosTokens(h, krb, rm)
	}
	d, err := client.NewYarnDescriptor(ctx, yo)
	if err != nil {
		_ = rm.Close()
		_ = st.Close()
		return nil, err
	}
	return &yarnEnv{cfg: cfg, rm: rm, store: st, desc: d}, nil
}

// osUser is the user name in properties-file names.
func osUser() string {
	if u := os.Getenv(contract.EnvHadoopUserName); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "floe"
}

// propertiesPath is where the YARN properties file lives.
func propertiesPath(cfg *conf.Config) string {
	return client.PropertiesPath(cfg.String(conf.YarnPropertiesFile), osUser())
}

// resolveAppID returns the application to operate on: -D
// yarn.application.id, else the properties file. fromFile says which.
func resolveAppID(cfg *conf.Config) (app yarnrpc.ApplicationID, fromFile bool, err error) {
	if s := cfg.String(conf.YarnApplicationID); s != "" {
		app, err = yarnrpc.ParseApplicationID(s)
		if err != nil {
			return app, false, fmt.Errorf("-D%s=%s: %w", conf.YarnApplicationID, s, err)
		}
		return app, false, nil
	}
	p := propertiesPath(cfg)
	props, err := client.ReadProperties(p)
	if errors.Is(err, fs.ErrNotExist) {
		return app, false, fmt.Errorf("no YARN application given: pass -D%s=application_… or start a session with `floe yarn-session -d` (no properties file %s)", conf.YarnApplicationID, p)
	}
	if err != nil {
		return app, false, err
	}
	app, err = yarnrpc.ParseApplicationID(props.AppID)
	if err != nil {
		return app, true, fmt.Errorf("properties file %s: %w", p, err)
	}
	return app, true, nil
}

// openApp is the start that list, cancel and logs share: the effective
// configuration, the application they address (-Dyarn.application.id or the
// properties file) and the YARN clients, under a deadline that Ctrl-C ends
// too. done releases all of it.
func openApp(c *cli.Context, timeout time.Duration) (ctx context.Context, env *yarnEnv, app yarnrpc.ApplicationID, done func(), err error) {
	cfg, err := loadConfig(c, dynamicArgs(c))
	if err != nil {
		return nil, nil, app, nil, err
	}
	if app, _, err = resolveAppID(cfg); err != nil {
		return nil, nil, app, nil, err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	if env, err = newYarnEnv(ctx, c, cfg); err != nil {
		cancel()
		stop()
		return nil, nil, app, nil, err
	}
	return ctx, env, app, func() { env.Close(); cancel(); stop() }, nil
}
