#include "sessionstore.h"

#include <QSet>

namespace SessionDesk {

Result<SessionList> SessionStore::listSessions(const SessionQuery &query,
                                               const ProgressCallback &progress,
                                               const CancelToken &cancel)
{
    SessionList list;
    SessionPageRequest request;
    request.user = query.user;
    request.pageSize = 1000;
    QSet<QByteArray> seen; // a store cursor may repeat a session across pages
    Progress p;
    p.phase = QStringLiteral("reading sessions");
    while (true) {
        auto page = sessionPage(request, cancel);
        if (!page)
            return std::unexpected(page.error());
        list.staleIndexIds.append(page->staleIndexIds);
        for (SessionSummary &s : page->sessions) {
            if (seen.contains(s.id))
                continue;
            if (query.limit >= 0 && list.sessions.size() >= query.limit) {
                list.truncated = true;
                return list;
            }
            seen.insert(s.id);
            list.sessions.append(std::move(s));
        }
        p.examined += page->examined;
        p.matched = list.sessions.size();
        if (progress)
            progress(p);
        if (page->atEnd)
            return list;
        request.cursor = page->nextCursor;
    }
}

Result<void> SessionStore::refuseIfReadOnly(const QString &action) const
{
    if (!isReadOnly())
        return {};
    return fail(StorageError::Code::Refused,
                QStringLiteral("Refused to %1: the connection to %2 is read-only.")
                    .arg(action, targetName()));
}

} // namespace SessionDesk
