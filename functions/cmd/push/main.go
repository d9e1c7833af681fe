// Command push is the PushFunction Lambda (the push channel's WebSocket
// routes): it only wires (see package app).
package main

import "github.com/agentdesk/agentdesk/functions/app"

func main() { app.ServePushFunction() }
