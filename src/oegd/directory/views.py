from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from oegd.core.access import public, staff_required


@public
def responsibility(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/responsibility.html", {})


@staff_required("directory.view")
def staff_directory(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/staff_directory.html", {})
