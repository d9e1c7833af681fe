module github.com/agentdesk/agentdesk/infra

go 1.26.8

require github.com/agentdesk/agentdesk/shared v0.0.0

replace github.com/agentdesk/agentdesk/shared => ../shared

require github.com/agentdesk/agentdesk/functions v0.0.0

replace github.com/agentdesk/agentdesk/functions => ../functions
