"""URLs of the mailroom web-UI site: Debian mailman3-web's layout (Postorius, HyperKitty, accounts)."""
from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

urlpatterns = [
    path('', RedirectView.as_view(url=reverse_lazy('list_index'))),
    path('postorius/', include('postorius.urls')),
    path('hyperkitty/', include('hyperkitty.urls')),
    path('', include('django_mailman3.urls')),
    path('accounts/', include('allauth.urls')),
    path('admin/', admin.site.urls),
]
