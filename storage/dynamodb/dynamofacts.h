#pragma once

#include "dynamoclient.h"
#include "sessionlayout.h"
#include "storefacts.h"

namespace SessionDesk::Aws {

// Reads what an auditor checks of a DynamoDB table, without a scan: DescribeTable (already
// fetched by the store: `table`), DescribeTimeToLive, DescribeContinuousBackups,
// ListTagsOfResource and, for a KMS-encrypted table, KMS DescribeKey to tell a customer-managed
// key from the AWS-managed one. A call that is denied or not implemented leaves its facts unknown
// with the AWS error code; nothing here fails the whole read.
//
// KMS is asked at $AWS_ENDPOINT_URL_KMS (else $AWS_ENDPOINT_URL) when set, else at the regional
// AWS endpoint, but only when the table itself is on AWS: a table on a local or compatible
// endpoint never makes SessionDesk call the real KMS.
QList<StoreFact> readTableFacts(DynamoClient &client, const QJsonObject &table,
                                const SessionLayout &layout, const QString &indexName);

} // namespace SessionDesk::Aws
