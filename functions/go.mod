module github.com/agentdesk/agentdesk/functions

go 1.26.8

require github.com/agentdesk/agentdesk/shared v0.0.0

replace github.com/agentdesk/agentdesk/shared => ../shared

require github.com/agentdesk/agentdesk/infra v0.0.0

require golang.org/x/text v0.43.0 // indirect

replace github.com/agentdesk/agentdesk/infra => ../infra
