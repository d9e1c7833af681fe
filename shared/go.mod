module github.com/agentdesk/agentdesk/shared

go 1.26.8
