// Command agentdesk is the AgentDesk desktop app: a Wails v2 window over
// the web frontend in frontend/ (built into frontend/dist and embedded),
// with the sign-in flow, the session and the keyring handled in Go
// (internal/core). Build it with the Wails CLI pinned as a Go tool:
//
//	go tool wails build -tags webkit2_41
//
// Flags:
//
//	--server URL   the AgentDesk server (before AGENTDESK_SERVER, an
//	               agentdesk.json next to the executable, and the URL
//	               saved on first run)
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"strings"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/agentdesk/agentdesk/desktop/internal/config"
	"github.com/agentdesk/agentdesk/desktop/internal/core"
	"github.com/agentdesk/agentdesk/desktop/internal/secrets"
	"github.com/agentdesk/agentdesk/shared/api"
)

//go:embed all:frontend/dist
var assets embed.FS

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "0.1.0-dev"

// singleInstanceID names the lock a second launch finds (per login
// session; on Linux through the D-Bus session bus).
const singleInstanceID = "dev.agentdesk.desktop"

func main() {
	flags := flag.NewFlagSet("agentdesk", flag.ContinueOnError)
	server := flags.String("server", "", "AgentDesk server URL (before "+config.EnvServer+", "+config.DeployFile+" next to the app, and the saved one)")
	showVersion := flags.Bool("version", false, "print the version and exit")
	if err := flags.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println("agentdesk", version)
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if goruntime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		// GTK would panic ("failed to init GTK"): say it plainly.
		fmt.Fprintln(os.Stderr, "agentdesk: no display (neither DISPLAY nor WAYLAND_DISPLAY is set)")
		os.Exit(1)
	}

	if handOver(singleInstanceID) {
		log.Info("already running: brought that window forward")
		return
	}

	resolver := config.New(*server)
	host, _ := os.Hostname()
	app := &App{rt: wailsRuntime{}}
	app.phone = newStation(app, resolver.Dir, log) // phone.go
	app.core = core.New(core.Config{
		Station:  app.phone,
		Version:  version,
		Platform: goruntime.GOOS,
		Device:   api.Device{ID: resolver.DeviceID(), Name: core.DeviceName(host, goruntime.GOOS), Platform: goruntime.GOOS},
		Language: osLanguage(),
		Resolver: resolver,
		Secrets:  secrets.New(secrets.DefaultService),
		Emitter:  emitter{app},
		Log:      log,
	})

	tuneWebKit()
	err := wails.Run(&options.App{
		Title:            "AgentDesk",
		Width:            1024,
		Height:           720,
		MinWidth:         500,
		MinHeight:        500,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 255, G: 255, B: 255, A: 255},
		OnStartup:        app.startup,
		OnShutdown:       app.shutdown,
		Bind:             []any{app},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               singleInstanceID,
			OnSecondInstanceLaunch: func(options.SecondInstanceData) { app.secondInstance() },
		},
		Linux: &linux.Options{
			ProgramName: "agentdesk",
			// Never: WebKit paints the pages on the CPU, without GL
			// compositing. Wails 2.16 maps its default (OnDemand, 0) to
			// WebKit's ALWAYS, which makes the web process set up a GL
			// compositor (Mesa's llvmpipe where there is no GPU): about
			// 75 MB more PSS and 100-250 ms more before the first paint,
			// for forms and lists that need no 3D, video or heavy
			// animation (measured in docs/PERFORMANCE-desktop.md).
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
	})
	if err != nil {
		log.Error("agentdesk", "err", err)
		os.Exit(1)
	}
}

// wailsRuntime is the real Wails runtime.
type wailsRuntime struct{}

func (wailsRuntime) EventsEmit(ctx context.Context, name string, data ...any) {
	wailsruntime.EventsEmit(ctx, name, data...)
}
func (wailsRuntime) WindowUnminimise(ctx context.Context) { wailsruntime.WindowUnminimise(ctx) }
func (wailsRuntime) WindowShow(ctx context.Context)       { wailsruntime.WindowShow(ctx) }

// osLanguage is the user's language as the environment says (LC_ALL,
// LC_MESSAGES, LANG, LANGUAGE); the Core maps it to en, fr or pt-BR.
func osLanguage() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		if v := os.Getenv(k); v != "" && v != "C" && v != "POSIX" {
			first, _, _ := strings.Cut(v, ":")
			return first
		}
	}
	return "en"
}
