from django.urls import path

from frontline.todos import views

app_name = "todos"
urlpatterns = [
    path("todos/", views.todo_list, name="list"),
    path("todos/<int:pk>/finish", views.finish, name="finish"),
]
