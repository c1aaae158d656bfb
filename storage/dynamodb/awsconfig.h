#pragma once

// The standard AWS credential and region chain, as the AWS CLI resolves it: environment
// variables, the shared credentials and config files with named profiles, and
// credential_process. Synchronous: credential_process runs the command (no shell) and waits up
// to 60 s for it, so call this on a worker thread.

#include "dynamodb/sigv4.h"
#include "storageerror.h"

#include <QString>

namespace SessionDesk::Aws {

struct AwsOptions
{
    QString profile; // empty: $AWS_PROFILE (or legacy $AWS_DEFAULT_PROFILE), else "default"
    QString region; // empty: resolve
};

// Order: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN (only when no explicit profile
// was given), then the profile's keys in the credentials file ($AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials, section [NAME]), then in the config file ($AWS_CONFIG_FILE or
// ~/.aws/config, section [profile NAME] or [default]), then the profile's credential_process.
// Credentials::source names the one used. Errors name the profile and the files looked at and
// never contain a secret.
// A profile with role_arn (and source_profile, or credential_source = Environment) is resolved
// by STS AssumeRole with its source's credentials, as the AWS CLI does for cross-account roles.
Result<Credentials> resolveCredentials(const AwsOptions &options);
// The same, `depth` source profiles deep (a guard against loops).
Result<Credentials> resolveCredentials(const AwsOptions &options, int depth);

// Order: options.region, AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` setting.
Result<QString> resolveRegion(const AwsOptions &options);

// The profile the options select: options.profile, else $AWS_PROFILE, else
// $AWS_DEFAULT_PROFILE, else "default".
QString profileName(const AwsOptions &options);

// The files the chain reads, with the environment overrides and "~/" expanded.
QString sharedCredentialsFilePath();
QString configFilePath();

} // namespace SessionDesk::Aws
