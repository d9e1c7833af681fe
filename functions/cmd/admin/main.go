// Command admin is the AdminFunction Lambda: it only wires (see package app).
package main

import "github.com/agentdesk/agentdesk/functions/app"

func main() { app.ServeHTTPFunction("AdminFunction") }
