"""Django settings for Debian's Postorius and HyperKitty against a running mailroom.

Used by the end-to-end test (test/e2e/web-ui.test.ts) and shown in docs/web-ui.md.
Everything site-specific comes from the environment:
  WEBUI_DIR                 a writable directory: SQLite database, static files, search index
  MAILMAN_REST_API_URL      mailroom's HTTP root, e.g. http://127.0.0.1:8080 (Postorius adds /3.1)
  MAILMAN_REST_API_USER     mailroom's admin user ("admin")
  MAILMAN_REST_API_PASS     MAILROOM_ADMIN_PASSWORD
  MAILMAN_ARCHIVER_KEY      the key mailroom sends (MAILROOM_HYPERKITTY_API_KEY)
"""
import os

from django.contrib.messages import constants as messages

DATA_DIR = os.environ['WEBUI_DIR']
BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'mailroom-web-ui-test')
DEBUG = False
ALLOWED_HOSTS = ['localhost', '127.0.0.1', 'testserver']
SITE_ID = 1

MAILMAN_REST_API_URL = os.environ['MAILMAN_REST_API_URL']
MAILMAN_REST_API_USER = os.environ['MAILMAN_REST_API_USER']
MAILMAN_REST_API_PASS = os.environ['MAILMAN_REST_API_PASS']
MAILMAN_ARCHIVER_KEY = os.environ['MAILMAN_ARCHIVER_KEY']
# The addresses mailroom's archive jobs come from.
MAILMAN_ARCHIVER_FROM = ('127.0.0.1', '::1')

INSTALLED_APPS = (
    'hyperkitty',
    'postorius',
    'django_mailman3',
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.sites',
    'django.contrib.messages',
    'django.contrib.staticfiles',
    'rest_framework',
    'django_gravatar',
    'compressor',
    'haystack',
    'django_extensions',
    'django_q',
    'allauth',
    'allauth.account',
    'allauth.socialaccount',
)

MIDDLEWARE = (
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.middleware.locale.LocaleMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
    'django.contrib.messages.middleware.MessageMiddleware',
    'django.middleware.clickjacking.XFrameOptionsMiddleware',
    'django.middleware.security.SecurityMiddleware',
    'django_mailman3.middleware.TimezoneMiddleware',
    'postorius.middleware.PostoriusMiddleware',
)

ROOT_URLCONF = 'urls'

TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [],
    'APP_DIRS': True,
    'OPTIONS': {'context_processors': [
        'django.template.context_processors.debug',
        'django.template.context_processors.i18n',
        'django.template.context_processors.media',
        'django.template.context_processors.static',
        'django.template.context_processors.tz',
        'django.template.context_processors.csrf',
        'django.template.context_processors.request',
        'django.contrib.auth.context_processors.auth',
        'django.contrib.messages.context_processors.messages',
        'django_mailman3.context_processors.common',
        'hyperkitty.context_processors.common',
        'postorius.context_processors.postorius',
    ]},
}]

WSGI_APPLICATION = 'wsgi.application'

# Django's own tables (users, sessions, HyperKitty's archive) in SQLite; mailroom keeps the lists.
DATABASES = {'default': {
    'ENGINE': 'django.db.backends.sqlite3',
    'NAME': os.path.join(DATA_DIR, 'web.sqlite3'),
    # The test's web server and its test client are two processes on one file.
    'OPTIONS': {'timeout': 30},
}}
DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = True
USE_L10N = True
USE_TZ = True

STATIC_ROOT = os.path.join(DATA_DIR, 'static')
STATIC_URL = '/static/'
STATICFILES_FINDERS = (
    'django.contrib.staticfiles.finders.FileSystemFinder',
    'django.contrib.staticfiles.finders.AppDirectoriesFinder',
    'compressor.finders.CompressorFinder',
)
# HyperKitty's stylesheet is SCSS; Debian's sassc compiles it (once, then cached).
COMPRESS_PRECOMPILERS = (
    ('text/x-scss', 'sassc -t compressed {infile} {outfile}'),
    ('text/x-sass', 'sassc -t compressed {infile} {outfile}'),
)

LOGIN_URL = 'account_login'
LOGIN_REDIRECT_URL = 'list_index'
LOGOUT_URL = 'account_logout'

DEFAULT_FROM_EMAIL = 'postorius@localhost'
SERVER_EMAIL = 'root@localhost'
# Django's own mail (account confirmations) is not part of the test.
EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'

MESSAGE_TAGS = {messages.ERROR: 'danger'}

AUTHENTICATION_BACKENDS = (
    'django.contrib.auth.backends.ModelBackend',
    'allauth.account.auth_backends.AuthenticationBackend',
)
ACCOUNT_AUTHENTICATION_METHOD = 'username_email'
ACCOUNT_EMAIL_REQUIRED = True
ACCOUNT_EMAIL_VERIFICATION = 'none'
ACCOUNT_UNIQUE_EMAIL = True

# HyperKitty's full-text search: Whoosh in the data directory, updated in-process.
HAYSTACK_CONNECTIONS = {'default': {
    'ENGINE': 'haystack.backends.whoosh_backend.WhooshEngine',
    'PATH': os.path.join(DATA_DIR, 'fulltext_index'),
}}

# HyperKitty's follow-up work (thread caches, list sync) runs in the request, no qcluster.
Q_CLUSTER = {'sync': True, 'orm': 'default', 'timeout': 60, 'retry': 120, 'save_limit': 100, 'log_level': 'ERROR'}

FILTER_VHOST = False
POSTORIUS_TEMPLATE_BASE_URL = os.environ.get('POSTORIUS_TEMPLATE_BASE_URL', 'http://127.0.0.1/')

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'loggers': {
        'django.request': {'handlers': ['console'], 'level': 'ERROR'},
        'hyperkitty': {'handlers': ['console'], 'level': 'WARNING'},
        'postorius': {'handlers': ['console'], 'level': 'WARNING'},
    },
}
