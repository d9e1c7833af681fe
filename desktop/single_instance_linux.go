//go:build linux

package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/wailsapp/wails/v2/pkg/options"
)

// handOver asks an AgentDesk already running in this login session to come
// forward and reports whether it did, before this process initialises GTK
// and WebKit. Wails' own SingleInstanceLock does the same once the second
// window is built, then exits with status 1, which a launcher or a script
// takes for a failure; here the second launch costs a D-Bus round trip and
// ends with 0. The name and method are those Wails 2.16 registers for the
// first instance (internal/frontend/desktop/linux/single_instance.go);
// scripts/desktop-xvfb-test.sh fails if they ever differ (the second
// launch would then exit 1).
func handOver(uniqueID string) bool {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	id := "wails_app_" + strings.NewReplacer("-", "_", ".", "_").Replace(uniqueID)
	name := "org." + id + ".SingleInstance"
	var running bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&running); err != nil || !running {
		return false
	}
	wd, _ := os.Getwd()
	msg, err := json.Marshal(options.SecondInstanceData{Args: os.Args[1:], WorkingDirectory: wd})
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call := conn.Object(name, dbus.ObjectPath("/org/"+id+"/SingleInstance")).CallWithContext(ctx, name+".SendMessage", 0, string(msg))
	return call.Err == nil
}
