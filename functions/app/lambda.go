package app

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// ServeHTTPFunction runs one HTTP function of template.yaml in Lambda,
// behind API Gateway's payload 2.0 through the same http.Handler the local
// router serves.
func ServeHTTPFunction(name string) {
	a, _, err := FromEnv(context.Background())
	if err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	h, ok := a.Handlers[name]
	if !ok {
		log.Fatalf("%s: no such function", name)
	}
	lambda.Start(httpadapter.NewV2(h).ProxyWithContext)
}
