#include "connectiondialog.h"

#include "sessionlayout.h"

#include <QCheckBox>
#include <QColorDialog>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStyle>
#include <QUrl>
#include <QVBoxLayout>

namespace SessionDesk {

namespace {

// The schema entry that stands for the profile's layout file.
const QString kLayoutFileData = QStringLiteral("\x01layout-file");

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightnessF() < 0.5;
}

// A label for a warning or an error, readable on light and dark palettes.
QLabel *messageLabel(QWidget *parent, const QString &objectName, bool error)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    QPalette palette = label->palette();
    const bool dark = isDark(palette);
    const QColor color = error ? (dark ? QColor(0xf2, 0x6d, 0x6d) : QColor(0xc6, 0x28, 0x28))
                               : (dark ? QColor(0xf2, 0xb1, 0x3c) : QColor(0x9a, 0x5b, 0x00));
    palette.setColor(QPalette::WindowText, color);
    label->setPalette(palette);
    label->hide();
    return label;
}

QIcon swatch(const QColor &color, int size)
{
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(QColor(0x5f, 0x63, 0x68), 1));
    painter.setBrush(color);
    painter.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 3, 3);
    return QIcon(pixmap);
}

} // namespace

ConnectionDialog::ConnectionDialog(QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("connectionDialog"));
    setWindowTitle(tr("New Connection"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_name->setPlaceholderText(tr("e.g. production sessions"));
    m_name->setAccessibleName(tr("Connection name"));

    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("urlEdit"));
    m_url->setPlaceholderText(QStringLiteral("redis://host:6379/0"));
    m_url->setAccessibleName(tr("Store URL"));
    m_url->setToolTip(
        tr("redis://[user@]host[:port][/db], or rediss:// for TLS.\n"
           "Sentinel: redis-sentinel://[user@]sentinel[:port][,sentinel[:port]...]/MASTER[/db] "
           "(the user is the master's).\n"
           "Cluster: redis-cluster://[user@]node[:port][,node[:port]...].\n"
           "rediss-sentinel:// and rediss-cluster:// use TLS everywhere. Passwords are asked for "
           "when connecting and kept in the system keychain if you choose, never in the "
           "settings file."));
    m_passwordWarning = messageLabel(this, QStringLiteral("passwordWarning"), false);
    m_kind = new QLabel(this);
    m_kind->setObjectName(QStringLiteral("kindLabel"));
    m_kind->setTextFormat(Qt::PlainText);
    m_kind->setWordWrap(true);

    m_sentinelUser = new QLineEdit(this);
    m_sentinelUser->setObjectName(QStringLiteral("sentinelUserEdit"));
    m_sentinelUser->setPlaceholderText(tr("none"));
    m_sentinelUser->setAccessibleName(tr("Sentinel user"));
    m_sentinelUser->setToolTip(
        tr("Only when the sentinels have their own ACL user. Their password is asked for when "
           "they want one (or read from SESSIONDESK_SENTINEL_PASSWORD) and kept in the system "
           "keychain if you choose, never in the settings file."));

    m_clusterHostMap = new QLineEdit(this);
    m_clusterHostMap->setObjectName(QStringLiteral("clusterHostMapEdit"));
    m_clusterHostMap->setPlaceholderText(QStringLiteral("10.0.0.5:6379=127.0.0.1:16379"));
    m_clusterHostMap->setAccessibleName(tr("Cluster host map"));
    m_clusterHostMap->setToolTip(
        tr("For cluster nodes that announce addresses this machine cannot reach: "
           "ANNOUNCED=REACHABLE, each side a host or host:port, several separated by commas."));

    m_schema = new QComboBox(this);
    m_schema->setObjectName(QStringLiteral("schemaCombo"));
    m_schema->setAccessibleName(tr("Session schema"));
    // "auto" first: a Redis store's layout is detected when it connects.
    m_schema->addItem(tr("auto (detect when connecting)"), SessionLayout::kAuto);
    m_schema->setItemData(0,
                          tr("Samples the store's keys and values and picks the framework "
                             "they fit; a DynamoDB table uses dynamodb-gds."),
                          Qt::ToolTipRole);
    for (const QString &name : SessionLayout::presetNames()) {
        m_schema->addItem(name, name);
        if (const auto layout = SessionLayout::preset(name))
            m_schema->setItemData(m_schema->count() - 1, layout->description, Qt::ToolTipRole);
    }

    m_userIndex = new QLineEdit(this);
    m_userIndex->setObjectName(QStringLiteral("userIndexEdit"));
    m_userIndex->setPlaceholderText(QStringLiteral("user-sessions:{user}"));
    m_userIndex->setAccessibleName(tr("User index key pattern"));
    m_userIndex->setToolTip(tr("Optional: the key of a set of session ids per user, with {user} "
                               "where the user id goes. Leave empty when the store has none."));

    m_maxOps = new QSpinBox(this);
    m_maxOps->setObjectName(QStringLiteral("maxOpsSpin"));
    m_maxOps->setRange(0, 10'000'000);
    m_maxOps->setSingleStep(1000);
    m_maxOps->setSpecialValueText(tr("no limit"));
    m_maxOps->setSuffix(tr(" operations/s"));
    m_maxOps->setAccessibleName(tr("Rate limit in operations per second"));
    m_maxOps->setToolTip(
        tr("Redis: send at most this many operations a second (a command naming several keys "
           "counts once per key), to spare a production server in its busy hours. Long "
           "operations take longer; progress and cancel keep working."));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&URL:"), m_url);
    form->addRow(QString(), m_passwordWarning);
    form->addRow(tr("Kind:"), m_kind);
    form->addRow(tr("Sentinel &user:"), m_sentinelUser);
    form->addRow(tr("Cluster &host map:"), m_clusterHostMap);
    form->addRow(tr("&Schema:"), m_schema);
    form->addRow(tr("User &index:"), m_userIndex);
    form->addRow(tr("&Rate limit:"), m_maxOps);

    m_tlsGroup = new QGroupBox(tr("TLS (rediss://, rediss-sentinel://, rediss-cluster://)"), this);
    m_tlsGroup->setObjectName(QStringLiteral("tlsGroup"));
    auto *tlsForm = new QFormLayout(m_tlsGroup);
    m_caFile = addFileRow(tlsForm, tr("CA file:"), QStringLiteral("tlsCaFileEdit"),
                          tr("Choose CA Certificates"),
                          tr("Certificates (*.pem *.crt *.cer);;All files (*)"));
    m_certFile = addFileRow(tlsForm, tr("Client certificate:"), QStringLiteral("tlsCertFileEdit"),
                            tr("Choose Client Certificate"),
                            tr("Certificates (*.pem *.crt *.cer);;All files (*)"));
    m_keyFile =
        addFileRow(tlsForm, tr("Client key:"), QStringLiteral("tlsKeyFileEdit"),
                   tr("Choose Client Key"), tr("Private keys (*.pem *.key);;All files (*)"));
    m_caFile->setPlaceholderText(tr("system trust store"));
    m_serverName = new QLineEdit(m_tlsGroup);
    m_serverName->setObjectName(QStringLiteral("tlsServerNameEdit"));
    m_serverName->setPlaceholderText(tr("the URL's host"));
    m_serverName->setAccessibleName(tr("TLS server name"));
    tlsForm->addRow(tr("Server name:"), m_serverName);
    m_insecure = new QCheckBox(tr("Insecure: do not verify the server's certificate"), m_tlsGroup);
    m_insecure->setObjectName(QStringLiteral("tlsInsecureCheck"));
    m_insecure->setAccessibleName(tr("Do not verify the server's certificate"));
    tlsForm->addRow(m_insecure);
    m_insecureWarning = messageLabel(m_tlsGroup, QStringLiteral("insecureWarning"), true);
    m_insecureWarning->setText(
        tr("Anyone on the network path can read and change this connection, session tokens "
           "included. Use only against a test server."));
    tlsForm->addRow(m_insecureWarning);
    connect(m_insecure, &QCheckBox::toggled, m_insecureWarning, &QWidget::setVisible);

    m_readOnly = new QCheckBox(tr("Read-only (auditor): writes can never be unlocked"), this);
    m_readOnly->setObjectName(QStringLiteral("readOnlyCheck"));
    m_readOnly->setAccessibleName(tr("Read-only (auditor)"));

    m_colorButton = new QPushButton(this);
    m_colorButton->setObjectName(QStringLiteral("colorButton"));
    m_colorButton->setAccessibleName(tr("Connection colour"));
    m_colorButton->setToolTip(tr("Colour production stores so that their windows stand out"));
    m_colorButton->setAutoDefault(false);
    connect(m_colorButton, &QPushButton::clicked, this, &ConnectionDialog::chooseColor);
    m_clearColorButton = new QPushButton(tr("No colour"), this);
    m_clearColorButton->setObjectName(QStringLiteral("clearColorButton"));
    m_clearColorButton->setAccessibleName(tr("No colour"));
    m_clearColorButton->setAutoDefault(false);
    connect(m_clearColorButton, &QPushButton::clicked, this, [this] { setColor(QColor()); });
    auto *colorRow = new QHBoxLayout;
    colorRow->addWidget(m_colorButton);
    colorRow->addWidget(m_clearColorButton);
    colorRow->addStretch(1);
    auto *otherForm = new QFormLayout;
    otherForm->addRow(m_readOnly);
    auto *colorLabel = new QLabel(tr("&Colour:"), this);
    colorLabel->setBuddy(m_colorButton);
    otherForm->addRow(colorLabel, colorRow);

    m_error = messageLabel(this, QStringLiteral("validationError"), true);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("okButton"));
    m_buttons->button(QDialogButtonBox::Cancel)->setObjectName(QStringLiteral("cancelButton"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        if (validationError().isEmpty())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_tlsGroup);
    layout->addLayout(otherForm);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addWidget(m_buttons);

    for (QLineEdit *edit : {m_name, m_url, m_userIndex, m_caFile, m_certFile, m_keyFile,
                            m_serverName, m_sentinelUser, m_clusterHostMap})
        connect(edit, &QLineEdit::textChanged, this, &ConnectionDialog::validate);
    connect(m_schema, &QComboBox::currentIndexChanged, this, &ConnectionDialog::validate);
    connect(m_insecure, &QCheckBox::toggled, this, &ConnectionDialog::validate);

    setMinimumWidth(460);
    setColor(QColor());
    validate();
}

QLineEdit *ConnectionDialog::addFileRow(QFormLayout *form, const QString &label,
                                        const QString &objectName, const QString &dialogTitle,
                                        const QString &filter)
{
    auto *edit = new QLineEdit(m_tlsGroup);
    edit->setObjectName(objectName);
    edit->setAccessibleName(QString(label).remove(u':'));
    auto *browse = new QPushButton(tr("Browse…"), m_tlsGroup);
    browse->setObjectName(objectName + QStringLiteral("Browse"));
    browse->setAccessibleName(tr("Browse for %1").arg(QString(label).remove(u':')));
    browse->setAutoDefault(false);
    connect(browse, &QPushButton::clicked, this, [this, edit, dialogTitle, filter] {
        const QString start = edit->text().isEmpty() ? QString() : QFileInfo(edit->text()).path();
        const QString file = QFileDialog::getOpenFileName(this, dialogTitle, start, filter);
        if (!file.isEmpty())
            edit->setText(file);
    });
    auto *row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(browse);
    form->addRow(label, row);
    return edit;
}

QString ConnectionDialog::validationError() const
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        return tr("Give the connection a name.");
    if (name != m_originalName && m_existingNames.contains(name, Qt::CaseInsensitive))
        return tr("A connection named \"%1\" already exists; choose another name.").arg(name);

    const QString urlText = m_url->text().trimmed();
    if (urlText.isEmpty())
        return tr("Enter the store's URL, for example redis://host:6379/0.");
    const auto config = StoreConfig::fromUrl(urlText);
    if (!config)
        return config.error().message;

    ConnectionProfile candidate = profile();
    candidate.url = config->redactedUrl();
    if (const auto layout = candidate.toLayout(); !layout)
        return layout.error().message;

    const bool tlsSettings = !m_caFile->text().trimmed().isEmpty()
        || !m_certFile->text().trimmed().isEmpty() || !m_keyFile->text().trimmed().isEmpty()
        || !m_serverName->text().trimmed().isEmpty() || m_insecure->isChecked();
    if (tlsSettings && !config->tls.enabled) {
        return tr("TLS settings apply only to rediss://, rediss-sentinel:// and rediss-cluster:// "
                  "URLs: change the URL or clear the TLS settings.");
    }
    const bool sentinel = config->kind == StoreConfig::Kind::Redis
        && config->redisMode == StoreConfig::RedisMode::Sentinel;
    const bool cluster = config->kind == StoreConfig::Kind::Redis
        && config->redisMode == StoreConfig::RedisMode::Cluster;
    if (!m_sentinelUser->text().trimmed().isEmpty() && !sentinel)
        return tr("A sentinel user applies only to redis-sentinel:// URLs: clear it.");
    const QStringList mappings = hostMapEntries();
    if (!mappings.isEmpty() && !cluster)
        return tr("A cluster host map applies only to redis-cluster:// URLs: clear it.");
    for (const QString &mapping : mappings) {
        if (auto parsed = HostMapping::parse(mapping); !parsed)
            return parsed.error().message;
    }
    const QList<QPair<QLineEdit *, QString>> files = {
        {m_caFile, tr("CA file")},
        {m_certFile, tr("client certificate")},
        {m_keyFile, tr("client key")},
    };
    for (const auto &[edit, what] : files) {
        const QString path = edit->text().trimmed();
        if (!path.isEmpty() && !QFileInfo(path).isFile())
            return tr("The %1 \"%2\" does not exist or is not a file.").arg(what, path);
    }
    if (m_certFile->text().trimmed().isEmpty() != m_keyFile->text().trimmed().isEmpty())
        return tr("A client certificate needs its key, and a client key its certificate.");
    return {};
}

QStringList ConnectionDialog::hostMapEntries() const
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    return m_clusterHostMap->text().split(separators, Qt::SkipEmptyParts);
}

void ConnectionDialog::validate()
{
    // A password typed into the URL is dropped on save; say so even while the URL is invalid.
    const auto config = StoreConfig::fromUrl(m_url->text().trimmed());
    const bool hasPassword =
        config ? !config->password.isEmpty() : !QUrl(m_url->text().trimmed()).password().isEmpty();
    m_passwordWarning->setText(hasPassword ? tr("The password in the URL will not be saved: "
                                                "SessionDesk asks for it when connecting.")
                                           : QString());
    m_passwordWarning->setVisible(hasPassword);

    const bool tls = config && config->tls.enabled;
    m_tlsGroup->setToolTip(tls ? QString()
                               : tr("These settings apply when the URL starts with rediss://, "
                                    "rediss-sentinel:// or rediss-cluster://."));

    // Say what the URL opens, and offer only the fields that apply to it.
    const bool redis = config && config->kind == StoreConfig::Kind::Redis;
    const auto mode = redis ? config->redisMode : StoreConfig::RedisMode::Standalone;
    QString kind;
    if (!config)
        kind = QString();
    else if (!redis)
        kind = tr("DynamoDB table %1").arg(config->dynamo.table);
    else if (mode == StoreConfig::RedisMode::Sentinel)
        kind = tr("Redis Sentinel: the master named “%1”, found through %n sentinel(s)", "",
                  int(config->seeds.size()))
                   .arg(config->sentinelMaster);
    else if (mode == StoreConfig::RedisMode::Cluster)
        kind = tr("Redis Cluster: every master, found through %n node(s)", "",
                  int(config->seeds.size()));
    else
        kind = tr("Redis server");
    if (config && tls)
        kind += tr(", over TLS");
    m_kind->setText(kind);
    m_sentinelUser->setEnabled(mode == StoreConfig::RedisMode::Sentinel
                               || !m_sentinelUser->text().isEmpty());
    m_clusterHostMap->setEnabled(mode == StoreConfig::RedisMode::Cluster
                                 || !m_clusterHostMap->text().isEmpty());
    m_maxOps->setEnabled(redis || m_maxOps->value() > 0);
    m_insecureWarning->setVisible(m_insecure->isChecked());

    const QString error = validationError();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

ConnectionProfile ConnectionDialog::profile() const
{
    ConnectionProfile p = m_base;
    p.name = m_name->text().trimmed();
    const QString urlText = m_url->text().trimmed();
    // Never hand a password on: the URL is re-rendered without it.
    const auto config = StoreConfig::fromUrl(urlText);
    p.url = config ? config->redactedUrl() : urlText;
    // The layout-file entry keeps the file; any other choice is a preset.
    if (m_schema->currentData().toString() != kLayoutFileData) {
        p.schema = m_schema->currentData().toString();
        p.schemaFile.clear();
    }
    p.userIndex = m_userIndex->text().trimmed();
    p.tlsCaFile = m_caFile->text().trimmed();
    p.tlsCertFile = m_certFile->text().trimmed();
    p.tlsKeyFile = m_keyFile->text().trimmed();
    p.tlsServerName = m_serverName->text().trimmed();
    p.tlsInsecure = m_insecure->isChecked();
    p.sentinelUser = m_sentinelUser->text().trimmed();
    p.clusterHostMap = hostMapEntries();
    p.readOnlyLocked = m_readOnly->isChecked();
    p.maxOpsPerSecond = m_maxOps->value();
    p.color = m_color.isValid() ? m_color.name() : QString();
    return p;
}

void ConnectionDialog::setProfile(const ConnectionProfile &profile)
{
    m_base = profile;
    m_originalName = profile.name;
    if (!profile.name.isEmpty())
        setWindowTitle(tr("Edit Connection “%1”").arg(profile.name));
    m_name->setText(profile.name);
    m_url->setText(profile.url);
    int index = m_schema->findData(profile.schema);
    if (const int file = m_schema->findData(kLayoutFileData); file >= 0)
        m_schema->removeItem(file);
    if (!profile.schemaFile.isEmpty()) {
        m_schema->addItem(tr("layout file %1").arg(profile.schemaFile), kLayoutFileData);
        index = m_schema->count() - 1;
    } else if (index < 0 && !profile.schema.isEmpty()) {
        // A schema this build does not know: keep it visible, validation says why it fails.
        m_schema->addItem(profile.schema, profile.schema);
        index = m_schema->count() - 1;
    }
    if (index >= 0)
        m_schema->setCurrentIndex(index);
    m_userIndex->setText(profile.userIndex);
    m_caFile->setText(profile.tlsCaFile);
    m_certFile->setText(profile.tlsCertFile);
    m_keyFile->setText(profile.tlsKeyFile);
    m_serverName->setText(profile.tlsServerName);
    m_insecure->setChecked(profile.tlsInsecure);
    m_sentinelUser->setText(profile.sentinelUser);
    m_clusterHostMap->setText(profile.clusterHostMap.join(QStringLiteral(", ")));
    m_readOnly->setChecked(profile.readOnlyLocked);
    m_maxOps->setValue(profile.maxOpsPerSecond);
    setColor(QColor(profile.color));
    validate();
}

void ConnectionDialog::setExistingNames(const QStringList &names)
{
    m_existingNames = names;
    validate();
}

void ConnectionDialog::chooseColor()
{
    const QColor chosen = QColorDialog::getColor(
        m_color.isValid() ? m_color : QColor(0xc6, 0x28, 0x28), this, tr("Connection Colour"));
    if (chosen.isValid())
        setColor(chosen);
}

void ConnectionDialog::setColor(const QColor &color)
{
    m_color = color;
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    if (color.isValid()) {
        m_colorButton->setIcon(swatch(color, size));
        m_colorButton->setText(tr("Change…"));
        m_colorButton->setAccessibleDescription(color.name());
    } else {
        m_colorButton->setIcon(QIcon());
        m_colorButton->setText(tr("Choose…"));
        m_colorButton->setAccessibleDescription(tr("none"));
    }
    m_clearColorButton->setEnabled(color.isValid());
}

} // namespace SessionDesk
