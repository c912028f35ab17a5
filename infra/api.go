package main

import (
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/arkmember/arkmember/internal/catalog"
)

// accessLogFormat is one JSON object per request. It names no header or
// body, so no token or mobile number reaches the log.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"requestTime":"$context.requestTime","method":"$context.httpMethod","routeKey":"$context.routeKey",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency",` +
	`"integrationError":"$context.integrationErrorMessage","authorizerError":"$context.authorizer.error"}`

type apiSettings struct {
	stage         Stage
	routes        []catalog.Route
	functions     map[string]*deployedFunction
	authorizer    *deployedFunction // nil when every route is public
	throttleRate  float64
	throttleBurst float64
	corsOrigins   []string
}

// newHTTPAPI serves every catalog route through its function's live alias.
// Routes with roles go through the one Lambda authorizer. It has no identity
// source and no cache, so it runs on every request and its verdict (401 or
// 403 as problem+json from the function) is identical to the local gateway's.
func newHTTPAPI(scope constructs.Construct, s apiSettings) awsapigatewayv2.HttpApi {
	props := &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String("ark-" + s.stage.Name),
		Description:        jsii.String("ARK Member Center " + s.stage.Name + " API"),
		CreateDefaultStage: jsii.Bool(false),
	}
	if len(s.corsOrigins) > 0 {
		props.CorsPreflight = &awsapigatewayv2.CorsPreflightOptions{
			AllowHeaders: jsii.Strings("Authorization", "Content-Type"),
			AllowMethods: &[]awsapigatewayv2.CorsHttpMethod{
				awsapigatewayv2.CorsHttpMethod_GET,
				awsapigatewayv2.CorsHttpMethod_POST,
				awsapigatewayv2.CorsHttpMethod_PUT,
				awsapigatewayv2.CorsHttpMethod_PATCH,
				awsapigatewayv2.CorsHttpMethod_DELETE,
			},
			AllowOrigins: jsii.Strings(s.corsOrigins...),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
	}
	api := awsapigatewayv2.NewHttpApi(scope, jsii.String("Api"), props)

	accessLogs := awslogs.NewLogGroup(scope, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     s.stage.LogRetention,
		RemovalPolicy: s.stage.RemovalPolicy(),
	})
	awsapigatewayv2.NewHttpStage(scope, jsii.String("ApiStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(s.throttleRate),
			BurstLimit: jsii.Number(s.throttleBurst),
		},
		AccessLogSettings: &accessLogSettings{
			destination: awsapigatewayv2.NewLogGroupLogDestination(accessLogs),
			format:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		},
	})

	var authorizer awsapigatewayv2.IHttpRouteAuthorizer
	if s.authorizer != nil {
		authorizer = awsapigatewayv2authorizers.NewHttpLambdaAuthorizer(jsii.String("Authorizer"), s.authorizer.alias,
			&awsapigatewayv2authorizers.HttpLambdaAuthorizerProps{
				AuthorizerName:  jsii.String(s.authorizer.spec.Name),
				ResponseTypes:   &[]awsapigatewayv2authorizers.HttpLambdaResponseType{awsapigatewayv2authorizers.HttpLambdaResponseType_SIMPLE},
				ResultsCacheTtl: awscdk.Duration_Seconds(jsii.Number(0)),
				IdentitySource:  &[]*string{},
			})
	}

	// One integration per function, allowed from any route of this API, so
	// the function's resource policy does not grow with its route count.
	integrations := map[string]awsapigatewayv2.HttpRouteIntegration{}
	names := make([]string, 0, len(s.functions))
	for name := range s.functions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := s.functions[name]
		if d.spec.Kind != catalog.KindHTTP {
			continue
		}
		integrations[name] = awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(d.id+"Integration"), d.alias,
			&awsapigatewayv2integrations.HttpLambdaIntegrationProps{
				ScopePermissionToRoute: jsii.Bool(false),
			})
	}

	for _, r := range s.routes {
		props := &awsapigatewayv2.HttpRouteProps{
			HttpApi:     api,
			RouteKey:    awsapigatewayv2.HttpRouteKey_With(jsii.String(r.Path), awsapigatewayv2.HttpMethod(r.Method)),
			Integration: integrations[r.Function],
		}
		if !r.Public() {
			props.Authorizer = authorizer
		}
		route := awsapigatewayv2.NewHttpRoute(scope, jsii.String(routeID(r)), props)
		if r.Public() {
			suppress(route.Node().DefaultChild(), "AwsSolutions-APIG4", reasonPublicRoute)
		}
	}
	return api
}

// routeID is a stable construct id for a route, e.g. "RouteGETV1MembersMe".
// Two keys that map to one id fail synthesis loudly.
func routeID(r catalog.Route) string { return "Route" + constructID(r.Key()) }

// accessLogSettings implements awsapigatewayv2.IAccessLogSettings.
type accessLogSettings struct {
	destination awsapigatewayv2.IAccessLogDestination
	format      awsapigateway.AccessLogFormat
}

// Destination is where API Gateway writes access logs.
func (a *accessLogSettings) Destination() awsapigatewayv2.IAccessLogDestination { return a.destination }

// Format is the access log line format.
func (a *accessLogSettings) Format() awsapigateway.AccessLogFormat { return a.format }
